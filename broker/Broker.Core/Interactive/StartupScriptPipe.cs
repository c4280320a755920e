using System.Text;
using Broker.Core.Native;

namespace Broker.Core.Interactive;

/// <summary>
/// Hands a start-up script to a child through a pipe instead of a file, so it never touches the
/// disk and cannot be read back once the child has consumed and closed it.
/// </summary>
internal static class StartupScriptPipe
{
    private const int F_DUPFD_CLOEXEC = 1030;
    // A pipe holds 64 KiB before a writer blocks; the script is written before the reader exists.
    private const int PipeCapacity = 64 * 1024;

    /// <summary>The read end, holding the whole script; null (with errno set) if it cannot be made.</summary>
    public static unsafe UnixFileDescriptor? Create(string script)
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

        var read = fds[0];
        if (read == 3)
        {
            // The spawner maps the script to fd 3 with dup2, which keeps close-on-exec when source and target are equal.
            var moved = LibC.fcntl(read, F_DUPFD_CLOEXEC, 10);
            LibC.close(read);
            if (moved < 0)
            {
                return null;
            }

            read = moved;
        }

        return new UnixFileDescriptor(read);
    }
}
