using System.Runtime.InteropServices;

namespace AgentClient;

/// <summary>
/// The full client, <c>agent-client.full</c> beside this executable: everything the thin path does not
/// serve (another command, no master, a socket that fails a check, a request the master declines) is
/// handed to it by <c>execv</c>, so it runs as this same process with the same arguments, environment,
/// descriptors and signal dispositions, and its exit code is the one the caller sees.
/// </summary>
internal static unsafe partial class FullClient
{
    /// <summary>The full client's file name; AgentClient.csproj's publish target writes it under this name.</summary>
    public const string FileName = "agent-client.full";

    /// <summary>Replaces this process with the full client; returns only if that cannot be done (the failure's exit code, 9).</summary>
    public static int Exec(string[] args)
    {
        // /proc/self/exe: the real file, even when `agent-client` is reached through a link on the PATH.
        var self = Environment.ProcessPath;
        var path = Path.Combine(Path.GetDirectoryName(self) ?? ".", FileName);
        // The copies are never freed: the exec replaces this process, or it exits right after.
        var argv = new nint[args.Length + 2];
        argv[0] = Marshal.StringToCoTaskMemUTF8(path);
        for (var i = 0; i < args.Length; i++)
        {
            argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
        }

        int error;
        fixed (nint* start = argv)
        {
            _ = ExecV(path, start);
            error = Marshal.GetLastPInvokeError();
        }

        return Mux.MuxClient.Report($"cannot run {path}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    [LibraryImport("libc", EntryPoint = "execv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int ExecV(string path, nint* argv);
}
