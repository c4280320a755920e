using System.Text;
using Broker.Core.Native;

namespace Broker.Core.Interactive;

/// <summary>
/// Hands a start-up script to a child through a pipe instead of a file, so it never touches the
/// disk and cannot be read back once the child has consumed and closed it.
/// </summary>
internal static class StartupScriptPipe
{
    // A pipe holds 64 KiB before a writer blocks; the script is written before the reader exists.
    private const int PipeCapacity = 64 * 1024;

    /// <summary>
    /// The read end, holding the whole script; null (with errno set) if it cannot be made. The shell reads it as
    /// <c>/dev/fd/3</c>, which opens the pipe again and checks its owner: with <paramref name="owner"/> the pipe is
    /// given to the account the shell runs as.
    /// </summary>
    public static unsafe UnixFileDescriptor? Create(string script, Processes.SpawnAccount? owner = null)
    {
        var bytes = Encoding.UTF8.GetBytes(script);
        if (bytes.Length >= PipeCapacity)
        {
            throw new ArgumentException("the start-up script is too large for a pipe", nameof(script));
        }

        var fds = stackalloc int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0)
        {
            return null;
        }

        using (var writer = new UnixFileDescriptor(fds[1]))
        {
            fixed (byte* p = bytes)
            {
                if (LibC.write(writer.Fd, p, bytes.Length) != bytes.Length)
                {
                    LibC.close(fds[0]);
                    return null;
                }
            }
        }

        var read = new UnixFileDescriptor(fds[0]);
        if (owner is { } account && LibC.fchown(read.Fd, account.Uid, account.Gid) != 0)
        {
            var errno = LibC.LastError;
            read.Dispose();
            System.Runtime.InteropServices.Marshal.SetLastPInvokeError(errno);
            return null;
        }

        return read;
    }
}
