using Microsoft.Win32.SafeHandles;

namespace Broker.Core.Native;

/// <summary>
/// Owns one file descriptor. Reads and writes take a reference so that a concurrent
/// dispose cannot close the number while a call is using it (a reused number would
/// send bytes to the wrong file).
/// </summary>
internal sealed class UnixFileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public UnixFileDescriptor(int fd)
        : base(ownsHandle: true)
    {
        SetHandle(fd);
    }

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;

    public void SetNonBlocking()
    {
        var flags = LibC.fcntl(Fd, LibC.F_GETFL, 0);
        if (flags < 0 || LibC.fcntl(Fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) < 0)
        {
            throw new IOException($"fcntl(O_NONBLOCK) failed: {LibC.Describe(LibC.LastError)}");
        }
    }

    /// <summary>
    /// Asks the kernel for a pipe of at least <paramref name="bytes"/>; false when it refused (not a pipe, or past the
    /// account's pipe memory limit), which leaves the pipe as it was.
    /// </summary>
    public bool TrySetPipeCapacity(int bytes) => LibC.fcntl(Fd, LibC.F_SETPIPE_SZ, bytes) >= bytes;

    /// <summary>Reads without blocking. Returns bytes read, 0 at end of file, -errno on error.</summary>
    public unsafe int TryRead(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return Transfer(p, buffer.Length, &LibC.read);
        }
    }

    /// <summary>Writes without blocking. Returns bytes written or -errno.</summary>
    public unsafe int TryWrite(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return Transfer(p, buffer.Length, &LibC.write);
        }
    }

    /// <summary>One read or write, retried on EINTR, holding a reference so the number cannot be reused meanwhile.</summary>
    private unsafe int Transfer(byte* buffer, int length, delegate*<int, byte*, nint, nint> call)
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            while (true)
            {
                var n = call(Fd, buffer, length);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = LibC.LastError;
                if (errno != LibC.EINTR)
                {
                    return -errno;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return -LibC.EIO;
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }
}
