using System.Runtime.InteropServices;
using System.Text;

namespace AgentClient.Mux;

/// <summary>The thin executable's way of reporting a failure: one line on standard error, written directly (no console set-up).</summary>
internal static unsafe partial class MuxClient
{
    /// <summary>Prints <c>agent-client: MESSAGE</c> on standard error; returns the exit code of a failure (9), as the full client's reports do.</summary>
    public static int Report(string message)
    {
        var bytes = Encoding.UTF8.GetBytes($"agent-client: {message}\n");
        fixed (byte* start = bytes)
        {
            var written = 0;
            while (written < bytes.Length)
            {
                var n = Write(2, start + written, bytes.Length - written);
                if (n <= 0 && Marshal.GetLastPInvokeError() != 4)
                {
                    break;
                }

                written += (int)Math.Max(n, 0);
            }
        }

        return 9;
    }

    private static partial int ReportFailure(string message) => Report(message);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nint length);
}
