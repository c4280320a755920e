using System.Runtime.InteropServices;
using System.Text;

namespace AgentClient.Mux;

/// <summary>
/// A client's connection to a master's Unix socket, made and used with blocking system calls on the
/// calling thread. The thin client's whole life is connect, send, wait for one exit code: a
/// <see cref="System.Net.Sockets.Socket"/> would first start the runtime's socket engine (an epoll
/// thread and its set-up) for that, which costs more than everything else the thin client does.
/// </summary>
internal sealed unsafe partial class MuxConnection : IDisposable
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloExec = 0x80000;
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int MsgNoSignal = 0x4000;
    private const int EIntr = 4;

    /// <summary>sizeof(struct sockaddr_un): the family, then sun_path (108 bytes with its terminating zero).</summary>
    private const int AddressSize = 110;

    // Signal frames are sent from the runtime's signal thread while the calling thread waits in a
    // receive: the gate keeps a send from using a descriptor number that Dispose has given back.
    private readonly Lock _gate = new();
    private int _fd;

    private MuxConnection(int fd) => _fd = fd;

    /// <summary>The socket descriptor (for sendmsg with descriptors attached).</summary>
    public nint Handle => _fd;

    /// <summary>A connection to the socket at <paramref name="path"/>, or null when nobody listens there (or the path does not fit a socket address).</summary>
    public static MuxConnection? Open(string path)
    {
        var address = stackalloc byte[AddressSize];
        new Span<byte>(address, AddressSize).Clear();
        *(ushort*)address = AfUnix;
        var pathBytes = new Span<byte>(address + 2, AddressSize - 3);
        if (Encoding.UTF8.GetByteCount(path) > pathBytes.Length)
        {
            return null;
        }

        var length = Encoding.UTF8.GetBytes(path, pathBytes);
        var fd = Socket(AfUnix, SockStream | SockCloExec, 0);
        if (fd < 0)
        {
            return null;
        }

        if (Connect(fd, address, (uint)(2 + length + 1)) != 0)
        {
            _ = Close(fd);
            return null;
        }

        return new MuxConnection(fd);
    }

    /// <summary>The uid of the process at the other end (SO_PEERCRED: fixed when it called listen), or null if it cannot be read.</summary>
    public uint? PeerUid()
    {
        // struct ucred: pid, uid, gid.
        var credentials = stackalloc uint[3];
        var size = 12u;
        return GetSockOpt(_fd, SolSocket, SoPeerCred, credentials, &size) == 0 && size >= 8 ? credentials[1] : null;
    }

    /// <summary>Sends all of <paramref name="bytes"/>; false if the other end has gone.</summary>
    public bool Send(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            if (_fd < 0)
            {
                return false;
            }

            fixed (byte* start = bytes)
            {
                var sent = 0;
                while (sent < bytes.Length)
                {
                    var n = SendBytes(_fd, start + sent, bytes.Length - sent, MsgNoSignal);
                    if (n > 0)
                    {
                        sent += (int)n;
                    }
                    else if (n == 0 || Marshal.GetLastPInvokeError() != EIntr)
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false at end of stream or on an error.</summary>
    public bool ReceiveExactly(Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = Receive(buffer[read..]);
            if (n <= 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Reads what has arrived (blocking until something has): the count, 0 at end of stream, -1 on an error.</summary>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var n = ReceiveBytes(_fd, start, buffer.Length, 0);
                if (n >= 0 || Marshal.GetLastPInvokeError() != EIntr)
                {
                    return (int)n;
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_fd >= 0)
            {
                _ = Close(_fd);
                _fd = -1;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int Connect(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SendBytes(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint ReceiveBytes(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
