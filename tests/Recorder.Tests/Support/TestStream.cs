namespace Recorder.Tests.Support;

/// <summary>
/// A writable destination that can run out of space after a number of bytes (writing the part that
/// fits, like a full disk), or hold writes until released; snapshots are safe while the writer runs.
/// </summary>
internal sealed class TestStream : Stream
{
    private readonly Lock _gate = new();
    private readonly MemoryStream _inner = new();
    private readonly SemaphoreSlim? _writes;
    private bool _released;
    private int _held;
    private long _capacity;

    public TestStream(long capacity = long.MaxValue, bool holdWrites = false)
    {
        _capacity = capacity;
        _writes = holdWrites ? new SemaphoreSlim(0) : null;
    }

    /// <summary>Bytes the destination takes in all; lowering it while the writer runs makes the disk fill up from then on.</summary>
    public long Capacity
    {
        get
        {
            lock (_gate)
            {
                return _capacity;
            }
        }

        set
        {
            lock (_gate)
            {
                _capacity = value;
            }
        }
    }

    public int Flushes { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length
    {
        get
        {
            lock (_gate)
            {
                return _inner.Length;
            }
        }
    }

    public override long Position { get => Length; set => throw new NotSupportedException(); }

    public void ReleaseWrites()
    {
        if (!_released)
        {
            _released = true;
            _writes?.Release(int.MaxValue / 2);
        }
    }

    /// <summary>Lets <paramref name="count"/> held writes through.</summary>
    public void ReleaseWrite(int count = 1) => _writes?.Release(count);

    /// <summary>Writes that have completed.</summary>
    public int Writes { get; private set; }

    /// <summary>Writes held, waiting to be let through.</summary>
    public int HeldWrites => Volatile.Read(ref _held);

    public byte[] Snapshot()
    {
        lock (_gate)
        {
            return _inner.ToArray();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_writes is not null)
        {
            Interlocked.Increment(ref _held);
            _writes.Wait();
            Interlocked.Decrement(ref _held);
        }

        lock (_gate)
        {
            var room = (int)Math.Min(buffer.Length, _capacity - _inner.Length);
            _inner.Write(buffer[..room]);
            Writes++;
            if (room < buffer.Length)
            {
                throw new IOException("No space left on device");
            }
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
        lock (_gate)
        {
            Flushes++;
        }
    }

    public override void SetLength(long value)
    {
        lock (_gate)
        {
            _inner.SetLength(value);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writes?.Dispose();
        }

        base.Dispose(disposing);
    }
}
