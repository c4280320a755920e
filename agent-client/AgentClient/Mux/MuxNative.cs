using System.Runtime.InteropServices;

namespace AgentClient.Mux;

/// <summary>
/// The libc calls the multiplexer needs that .NET does not offer: the caller's uid, a file's owner
/// and mode without following a link (statx, whose layout is the same on every Linux architecture),
/// descriptors passed over a Unix socket (SCM_RIGHTS), and what a detached master does to its
/// standard descriptors and session.
/// </summary>
internal static unsafe partial class MuxNative
{
    public const uint ModeTypeMask = 0xF000;
    public const uint ModeDirectory = 0x4000;
    public const uint ModeSocket = 0xC000;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasic = 0x7FF;
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgCmsgCloExec = 0x40000000;
    private const int MsgNoSignal = 0x4000;
    private const int CmsgHeader = 16;

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "setsid")]
    public static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "dup2")]
    public static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(nint socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(nint socket, MessageHeader* message, int flags);

    /// <summary>Owner and mode (type and permission bits) of <paramref name="path"/> itself (a link is not followed); null if it does not exist.</summary>
    public static (uint Owner, uint Mode)? Inspect(string path)
    {
        StatxBuffer buffer;
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasic, &buffer) != 0)
        {
            return null;
        }

        return (buffer.Uid, buffer.Mode);
    }

    /// <summary>Sends one byte with <paramref name="fds"/> attached; false if the socket refused it.</summary>
    public static bool SendWithDescriptors(nint socket, byte kind, ReadOnlySpan<int> fds)
    {
        var control = stackalloc byte[CmsgHeader + 16];
        new Span<byte>(control, CmsgHeader + 16).Clear();
        var header = (ControlHeader*)control;
        header->Length = (nuint)(CmsgHeader + (fds.Length * sizeof(int)));
        header->Level = SolSocket;
        header->Type = ScmRights;
        fds.CopyTo(new Span<int>(control + CmsgHeader, fds.Length));
        var io = new IoVector { Base = &kind, Length = 1 };
        var message = fds.IsEmpty
            ? new MessageHeader { Iov = &io, IovLength = 1 }
            : new MessageHeader { Iov = &io, IovLength = 1, Control = control, ControlLength = (nuint)(CmsgHeader + 16) };
        // A master that has gone is a failed send, not SIGPIPE: the thin client may not have set SIGPIPE aside yet.
        return SendMsg(socket, &message, MsgNoSignal) == 1;
    }

    /// <summary>
    /// Receives one byte and up to three descriptors sent with it (close-on-exec). Returns the byte,
    /// or -1 at end of stream or on error; <paramref name="count"/> says how many descriptors came.
    /// </summary>
    public static int ReceiveWithDescriptors(nint socket, Span<int> fds, out int count)
    {
        count = 0;
        var control = stackalloc byte[CmsgHeader + 16];
        byte kind = 0;
        var io = new IoVector { Base = &kind, Length = 1 };
        var message = new MessageHeader { Iov = &io, IovLength = 1, Control = control, ControlLength = (nuint)(CmsgHeader + 16) };
        nint n;
        do
        {
            n = RecvMsg(socket, &message, MsgCmsgCloExec);
        }
        while (n < 0 && Marshal.GetLastPInvokeError() is 4 or 11 && WaitReadable(socket));

        if (n != 1)
        {
            return -1;
        }

        var header = (ControlHeader*)control;
        if (message.ControlLength >= CmsgHeader && header->Level == SolSocket && header->Type == ScmRights)
        {
            count = Math.Min(fds.Length, (int)((header->Length - CmsgHeader) / sizeof(int)));
            new ReadOnlySpan<int>(control + CmsgHeader, count).CopyTo(fds);
        }

        return kind;
    }

    /// <summary>The accepted socket may be non-blocking: wait until it has something to read.</summary>
    private static bool WaitReadable(nint socket)
    {
        var poll = new Terminal.LibC.PollFd { Fd = (int)socket, Events = Terminal.LibC.PollIn };
        return Terminal.LibC.Poll(&poll, 1, -1) >= 0 || Marshal.GetLastPInvokeError() == 4;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr (64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ControlHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>struct statx: 256 bytes, the same on every Linux architecture; only the leading fields are read.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct StatxBuffer
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint Links;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
    }
}
