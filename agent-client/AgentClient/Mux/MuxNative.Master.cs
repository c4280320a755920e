using System.Runtime.InteropServices;

namespace AgentClient.Mux;

/// <summary>
/// The master's side of <see cref="MuxNative"/>: descriptors received over the socket, and what a
/// detached master does to its standard descriptors and session. Not part of the thin executable.
/// </summary>
internal static unsafe partial class MuxNative
{
    private const int MsgCmsgCloExec = 0x40000000;

    [LibraryImport("libc", EntryPoint = "setsid")]
    public static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "dup2")]
    public static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(nint socket, MessageHeader* message, int flags);

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
}
