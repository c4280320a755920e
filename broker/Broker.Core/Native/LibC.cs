using System.Runtime.InteropServices;

namespace Broker.Core.Native;

/// <summary>The libc calls the PTY and process layer needs (Linux, glibc).</summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_SETPIPE_SZ = 1031;

    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int ESRCH = 3;

    public const ulong TIOCSWINSZ = 0x5414;
    public const ulong TIOCGWINSZ = 0x5413;
    public const ulong TIOCGPGRP = 0x540F;

    // struct termios on Linux is 60 bytes; c_lflag is its fourth 32-bit field.
    public const int TermiosSize = 64;
    public const int TermiosLocalFlagsOffset = 12;
    public const uint ECHO = 0x8;
    public const uint ICANON = 0x2;
    public const int TCSANOW = 0;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    public const int WNOHANG = 1;

    public const long SYS_pidfd_open = 434;

    public const int EPOLL_CLOEXEC = O_CLOEXEC;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLONESHOT = 1u << 30;

    public const int EFD_CLOEXEC = O_CLOEXEC;
    public const int EFD_NONBLOCK = O_NONBLOCK;

    // Opaque glibc structures are allocated generously: their real sizes are 80 (file actions),
    // 336 (spawn attributes) and 128 (sigset_t) bytes on x86-64 and arm64.
    public const int FileActionsSize = 256;
    public const int SpawnAttrSize = 512;
    public const int SigSetSize = 256;

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_openpt(int flags);

    /// <summary>statx(2) into a raw 256-byte struct statx (the same layout on every architecture).</summary>
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int grantpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int unlockpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ptsname_r(int fd, byte* buffer, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, WinSize* size);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl_int(int fd, ulong request, int* value);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>open(2) without O_CREAT (so without the variadic mode argument).</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int open(byte* path, int flags);

    /// <summary>poll(2) over <paramref name="count"/> 8-byte pollfd records (int fd, short events, short revents).</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(byte* fds, nuint count, int timeout);

    public const short POLLIN = 0x1;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial long syscall(long number, int argument1, uint argument2);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, byte* epollEvent);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn_file_actions_addchdir_np(void* fileActions, byte* path);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* fileActions, int lowFd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawnattr_destroy(void* attributes);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawnattr_setsigmask(void* attributes, void* signalSet);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawnattr_setsigdefault(void* attributes, void* signalSet);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sigemptyset(void* signalSet);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sigfillset(void* signalSet);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sigdelset(void* signalSet, int signal);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>Decodes a <c>waitpid</c> status into a shell-style exit code and signal number.</summary>
    public static (int Code, int Signal) DecodeWaitStatus(int status)
    {
        var termSignal = status & 0x7f;
        if (termSignal == 0)
        {
            return ((status >> 8) & 0xff, 0);
        }

        return (128 + termSignal, termSignal);
    }
}
