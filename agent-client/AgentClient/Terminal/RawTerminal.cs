using System.Runtime.InteropServices;

namespace AgentClient.Terminal;

/// <summary>
/// Puts the local terminal in raw mode (every key goes to the remote side, Ctrl-C included)
/// and restores exactly the previous settings when disposed, on every exit path.
/// </summary>
internal sealed unsafe partial class RawTerminal : IDisposable
{
    // struct termios is 60 bytes on glibc; it is kept opaque.
    private const int TermiosSize = 128;
    private const int TcsaNow = 0;
    private readonly byte[] _saved = new byte[TermiosSize];
    private int _restored;

    private RawTerminal()
    {
    }

    /// <summary>Enters raw mode on stdin, or returns null when stdin is not a terminal.</summary>
    public static RawTerminal? Enter()
    {
        if (isatty(0) != 1)
        {
            return null;
        }

        var terminal = new RawTerminal();
        var raw = stackalloc byte[TermiosSize];
        fixed (byte* saved = terminal._saved)
        {
            if (tcgetattr(0, saved) != 0)
            {
                return null;
            }

            new ReadOnlySpan<byte>(saved, TermiosSize).CopyTo(new Span<byte>(raw, TermiosSize));
        }

        cfmakeraw(raw);
        if (tcsetattr(0, TcsaNow, raw) != 0)
        {
            return null;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => terminal.Dispose();
        return terminal;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _restored, 1) != 0)
        {
            return;
        }

        fixed (byte* saved = _saved)
        {
            // Nothing more can be done if restoring fails (the terminal is gone).
            _ = tcsetattr(0, TcsaNow, saved);
        }
    }

    [LibraryImport("libc")]
    private static partial int isatty(int fd);

    [LibraryImport("libc")]
    private static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport("libc")]
    private static partial int tcsetattr(int fd, int action, byte* termios);

    [LibraryImport("libc")]
    private static partial void cfmakeraw(byte* termios);
}
