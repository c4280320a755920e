using System.Runtime.InteropServices;

namespace AgentClient.Mux;

/// <summary>
/// The libc calls the multiplexer needs that .NET does not offer: the caller's uid, a file's owner
/// and mode without following a link (statx, whose layout is the same on every Linux architecture),
/// descriptors passed over a Unix socket (SCM_RIGHTS), and a signal to the caller itself. This part is
/// shared with the thin executable (AgentClient.Thin); the master's own calls are in MuxNative.Master.cs.
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
    private const int MsgNoSignal = 0x4000;
    private const int CmsgHeader = 16;

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(nint socket, MessageHeader* message, int flags);

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
