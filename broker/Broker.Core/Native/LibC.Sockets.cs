using System.Runtime.InteropServices;

namespace Broker.Core.Native;

/// <summary>The socket calls the spawn helper's channel needs (Linux, glibc, 64-bit).</summary>
internal static unsafe partial class LibC
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = O_CLOEXEC;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int MSG_NOSIGNAL = 0x4000;

    // struct msghdr on 64-bit Linux: name, namelen (padded), iov, iovlen, control, controllen, flags (padded).
    public const int MsgHdrSize = 56;
    public const int MsgHdrIovOffset = 16;
    public const int MsgHdrIovLengthOffset = 24;
    public const int MsgHdrControlOffset = 32;
    public const int MsgHdrControlLengthOffset = 40;

    // struct cmsghdr: a size_t length, then level and type as ints; data is 8-byte aligned after it.
    public const int CmsgHeaderSize = 16;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendmsg(int fd, byte* message, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    /// <summary>The space a control message with <paramref name="bytes"/> of data takes (CMSG_SPACE).</summary>
    public static int ControlSpace(int bytes) => CmsgHeaderSize + ((bytes + 7) & ~7);
}
