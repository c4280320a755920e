using System.Runtime.InteropServices;

namespace Broker.Core.Native;

/// <summary>The account, ownership and locking calls the session accounts need (Linux, glibc, 64-bit).</summary>
internal static unsafe partial class LibC
{
    public const int O_CREAT = 0x40;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int EWOULDBLOCK = EAGAIN;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int SEEK_SET = 0;

    // struct passwd on 64-bit glibc: name, passwd, uid, gid, gecos, dir, shell.
    public const int PasswdSize = 48;
    public const int PasswdUidOffset = 16;
    public const int PasswdGidOffset = 20;
    public const int PasswdDirOffset = 32;
    public const int PasswdShellOffset = 40;

    // TIOCGPTPEER opens the slave of a PTY master without a path lookup (Linux 4.13).
    public const ulong TIOCGPTPEER = 0x5441;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getpwnam_r(byte* name, byte* passwd, byte* buffer, nuint length, byte** result);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getpwuid_r(uint uid, byte* passwd, byte* buffer, nuint length, byte** result);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getgrgid_r(uint gid, byte* group, byte* buffer, nuint length, byte** result);

    [LibraryImport(Lib)]
    public static partial uint geteuid();

    [LibraryImport(Lib)]
    public static partial uint getegid();

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fchown(int fd, uint uid, uint gid);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int flock(int fd, int operation);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint pwrite(int fd, byte* buffer, nint count, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint pread(int fd, byte* buffer, nint count, long offset);

    /// <summary>open(2) with O_CREAT and its mode (the variadic argument is passed like a fixed one on x86-64 and arm64).</summary>
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static partial int open_mode(byte* path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl_value(int fd, ulong request, nint value);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial uint umask(uint mask);

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_BASIC_STATS = 0x7ff;

    // struct statx has the same layout on every architecture: uid at 20, gid at 24, mode (16 bits) at 28.
    public const int StatxSize = 256;
    public const int StatxUidOffset = 20;
    public const int StatxGidOffset = 24;
    public const int StatxModeOffset = 28;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int mkdirat(int dirfd, byte* path, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int openat(int dirfd, byte* path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fchownat(int dirfd, byte* path, uint uid, uint gid, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fchmodat(int dirfd, byte* path, uint mode, int flags);
}
