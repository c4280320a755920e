using System.Runtime.InteropServices;

namespace AgentClient.Terminal;

/// <summary>
/// A stream over one of the standard descriptors, read and written with read(2) and write(2):
/// bytes arrive exactly as the terminal or pipe delivers them (a key as soon as it is typed), and
/// a pending read can be cancelled (poll(2) on the descriptor and on a wake-up pipe), so the
/// client never leaves a thread stuck in a read it cannot end. The descriptor is not closed.
/// </summary>
internal sealed unsafe class DescriptorStream : Stream
{
    private readonly int _fd;
    private readonly bool _readable;
    private readonly object _wakeGate = new();
    private int _wakeRead = -1;
    private int _wakeWrite = -1;

    public DescriptorStream(int fd, bool readable)
    {
        _fd = fd;
        _readable = readable;
    }

    public override bool CanRead => _readable;

    public override bool CanWrite => !_readable;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => ReadCore(buffer, CancellationToken.None);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads what is there (at least one byte, or 0 at end of input) on a pool thread; cancellable.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureWakePipe();
        return new ValueTask<int>(Task.Run(() => ReadCore(buffer.Span, cancellationToken), CancellationToken.None));
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var written = 0;
            while (written < buffer.Length)
            {
                var n = LibC.Write(_fd, start + written, buffer.Length - written);
                if (n >= 0)
                {
                    written += (int)n;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EAgain)
                {
                    // A descriptor another process left non-blocking: wait until it takes more.
                    Wait(LibC.PollOut, CancellationToken.None);
                }
                else if (errno != LibC.EIntr)
                {
                    throw new IOException($"write to descriptor {_fd} failed (errno {errno})");
                }
            }
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
        // Nothing is buffered: every write is a write(2).
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        lock (_wakeGate)
        {
            if (_wakeRead >= 0)
            {
                _ = LibC.Close(_wakeRead);
                _ = LibC.Close(_wakeWrite);
                _wakeRead = _wakeWrite = -1;
            }
        }

        base.Dispose(disposing);
    }

    private int ReadCore(Span<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static state => ((DescriptorStream)state!).Wake(), this) : default;
        fixed (byte* start = buffer)
        {
            while (true)
            {
                Wait(LibC.PollIn, cancellationToken);
                var n = LibC.Read(_fd, start, buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EIntr && errno != LibC.EAgain)
                {
                    throw new IOException($"read from descriptor {_fd} failed (errno {errno})");
                }
            }
        }
    }

    /// <summary>Waits until the descriptor is ready (or hung up, which the read or write then reports), or the token is cancelled.</summary>
    private void Wait(short events, CancellationToken cancellationToken)
    {
        var fds = stackalloc LibC.PollFd[2];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            fds[0] = new LibC.PollFd { Fd = _fd, Events = events };
            fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
            var count = _wakeRead >= 0 ? 2u : 1u;
            var ready = LibC.Poll(fds, count, -1);
            if (ready < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EIntr)
                {
                    continue;
                }

                throw new IOException($"poll on descriptor {_fd} failed (errno {errno})");
            }

            if (count == 2 && fds[1].Revents != 0)
            {
                Drain();
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (fds[0].Revents != 0)
            {
                return;
            }
        }
    }

    private void EnsureWakePipe()
    {
        lock (_wakeGate)
        {
            if (_wakeRead < 0 && LibC.TryCreatePipe(out var readEnd, out var writeEnd))
            {
                _wakeRead = readEnd;
                _wakeWrite = writeEnd;
            }
        }
    }

    private void Wake()
    {
        byte one = 1;
        lock (_wakeGate)
        {
            if (_wakeWrite >= 0)
            {
                _ = LibC.Write(_wakeWrite, &one, 1);
            }
        }
    }

    private void Drain()
    {
        var scratch = stackalloc byte[16];
        lock (_wakeGate)
        {
            if (_wakeRead >= 0)
            {
                _ = LibC.Read(_wakeRead, scratch, 16);
            }
        }
    }
}
