using System.Runtime.InteropServices;

namespace AgentClient.Terminal;

/// <summary>
/// The libc calls the client's terminal code makes itself. System.Console is kept away from the
/// standard descriptors on purpose: its Unix console reads a terminal line by line with its own
/// echo, rewrites the terminal modes on SIGCHLD/SIGCONT, and writes the terminfo "keypad
/// transmit" string to a terminal on first use, which leaves the user's terminal in application
/// cursor mode after the client exits.
/// </summary>
internal static unsafe partial class LibC
{
    public const int StandardInput = 0;
    public const int StandardOutput = 1;
    public const int StandardError = 2;

    public const short PollIn = 0x001;
    public const short PollOut = 0x004;
    public const short PollErr = 0x008;
    public const short PollHup = 0x010;
    public const short PollNval = 0x020;

    public const int EIntr = 4;
    public const int EAgain = 11;

    public const int TcsaNow = 0;
    public const int TciFlush = 0;

    public const int SigStop = 19;

    /// <summary>TIOCGWINSZ on Linux (x86-64 and arm64 alike).</summary>
    public const nuint TiocGWinSz = 0x5413;

    private const int OCloExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "isatty")]
    public static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, Termios* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int optionalActions, Termios* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    public static partial void CfMakeRaw(Termios* termios);

    [LibraryImport("libc", EntryPoint = "tcflush", SetLastError = true)]
    public static partial int TcFlush(int fd, int queueSelector);

    // ioctl is variadic; on Linux (x86-64 and arm64) a pointer in the third slot is passed exactly
    // as a fixed argument would be.
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoCtl(int fd, nuint request, WindowSizeInfo* size);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>A close-on-exec pipe; false when none could be made.</summary>
    public static bool TryCreatePipe(out int readEnd, out int writeEnd)
    {
        var fds = stackalloc int[2];
        if (Pipe2(fds, OCloExec) != 0)
        {
            readEnd = writeEnd = -1;
            return false;
        }

        readEnd = fds[0];
        writeEnd = fds[1];
        return true;
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>struct winsize.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WindowSizeInfo
    {
        public ushort Rows;
        public ushort Columns;
        public ushort PixelWidth;
        public ushort PixelHeight;
    }

    /// <summary>struct termios of glibc and musl (60 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Termios
    {
        public const uint Echo = 0x0008;
        public const uint Canonical = 0x0002;
        public const uint Signals = 0x0001;
        public const uint Extended = 0x8000;
        public const int MinimumIndex = 6;
        public const int TimeIndex = 5;

        public uint InputFlags;
        public uint OutputFlags;
        public uint ControlFlags;
        public uint LocalFlags;
        public byte Line;
        public fixed byte ControlCharacters[32];
        public uint InputSpeed;
        public uint OutputSpeed;
    }
}
