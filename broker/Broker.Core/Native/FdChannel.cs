using System.IO.Pipelines;

namespace Broker.Core.Native;

/// <summary>
/// A non-blocking descriptor driven by <see cref="FdEventLoop"/>: what it reads goes into a
/// <see cref="Pipe"/> (whose pause threshold stops reading, so a slow consumer slows the
/// program instead of growing memory), and writes wait for writability instead of blocking
/// a thread.
/// </summary>
internal sealed class FdChannel : IFdWatcher, IDisposable
{
    private const int ReadChunk = 32 * 1024;
    // Reading is bounded per wake-up so that a streaming session, whose program refills the PTY
    // as fast as it is drained, cannot hold the loop while another session's echo is ready. At
    // 256 KiB the echo beside a stream waited 3.5-4.5 ms at p50; at 32 KiB, 1.3-1.9 ms (docs/BENCHMARKS.md).
    private const int ReadBudget = 32 * 1024;
    // A program's output pipe (an exec's stdout or stderr) carries no echo. Once a wake-up finds more than its budget
    // waiting, the pipe is streaming: the budget doubles up to this, and the pipe holds as much, so a bulk stream costs
    // an eighth of the wake-ups, loop re-arms and hand-offs to the pump (and `cat` blocks an eighth as often). The
    // first read after a quiet spell is still 32 KiB: the loop is never held longer than for a PTY before it sees a
    // stream, and a stream's reads stay short (a 256 KiB copy) beside other sessions' echo.
    private const int StreamingReadBudget = 256 * 1024;
    private const int StreamingSegment = 64 * 1024;

    private readonly UnixFileDescriptor _fd;
    private readonly FdEventLoop _loop;
    private readonly Pipe? _pipe;
    private readonly InteractiveReadScheduler _readScheduler = new();
    private readonly Lock _gate = new();
    private readonly long _token;
    private readonly bool _streams;
    // Touched only by the read cycle (reads are one-shot: one wake-up at a time).
    private int _readBudget = ReadBudget;
    // Under _gate. True while the loop waits to read; false while a read cycle (a wake-up's reads and its flush) holds
    // the pipe's writer, which only one thread may touch.
    private bool _readArmed;
    private TaskCompletionSource? _writable;
    private bool _closed;

    private FdChannel(UnixFileDescriptor fd, FdEventLoop loop, bool readable, bool streams = false)
    {
        _fd = fd;
        _loop = loop;
        fd.SetNonBlocking();
        // Best effort: a kernel that refuses (the account's pipe memory limit) leaves 64 KiB, read a wake-up at a time.
        _streams = streams && fd.TrySetPipeCapacity(StreamingReadBudget);
        if (readable)
        {
            _pipe = new Pipe(new PipeOptions(
                pauseWriterThreshold: 1024 * 1024,
                resumeWriterThreshold: 512 * 1024,
                readerScheduler: _readScheduler,
                minimumSegmentSize: _streams ? StreamingSegment : ReadChunk,
                useSynchronizationContext: false));
            _readArmed = true;
        }

        _token = loop.NewToken();
        loop.Add(fd.Fd, readable ? LibC.EPOLLIN : 0, _token, this);
    }

    /// <summary>Watches <paramref name="fd"/> for reading (and writing on demand).</summary>
    public static FdChannel ForReading(UnixFileDescriptor fd, FdEventLoop loop) => new(fd, loop, readable: true);

    /// <summary>
    /// Watches a program's output pipe <paramref name="fd"/> for reading: like <see cref="ForReading"/>, but once it
    /// streams it is read in larger gulps from a larger pipe (no keystroke's echo waits on an exec's output).
    /// </summary>
    public static FdChannel ForPipeOutput(UnixFileDescriptor fd, FdEventLoop loop) => new(fd, loop, readable: true, streams: true);

    /// <summary>Watches <paramref name="fd"/> only to wait for writability.</summary>
    public static FdChannel ForWriting(UnixFileDescriptor fd, FdEventLoop loop) => new(fd, loop, readable: false);

    /// <summary>Bytes read from the descriptor; completes at end of file, and when the channel is disposed.</summary>
    public PipeReader Output => _pipe?.Reader ?? throw new InvalidOperationException("The channel is write-only.");

    public void OnReady(uint events)
    {
        var read = false;
        TaskCompletionSource? writable = null;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (_readArmed && (events & (LibC.EPOLLIN | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0)
            {
                _readArmed = false;
                read = true;
            }

            if (_writable is not null && (events & (LibC.EPOLLOUT | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0)
            {
                writable = _writable;
                _writable = null;
            }

            RearmLocked();
        }

        writable?.TrySetResult();
        if (read)
        {
            ReadAvailable();
        }
    }

    private void ReadAvailable()
    {
        var writer = _pipe!.Writer;
        var total = 0;
        var drained = false;
        while (total < _readBudget)
        {
            var n = _fd.TryRead(writer.GetSpan(ReadChunk));
            if (n > 0)
            {
                writer.Advance(n);
                total += n;
                continue;
            }

            if (n == -LibC.EAGAIN)
            {
                drained = true;
                break;
            }

            // 0 is end of file; EIO is how a PTY master reports that every slave is closed.
            // The end of a stream is never handled on the loop thread: it ends the session's pump.
            _readScheduler.OnRead(int.MaxValue, System.Diagnostics.Stopwatch.GetTimestamp());
            writer.Complete(n == 0 || n == -LibC.EIO ? null : new IOException($"read failed: {LibC.Describe(-n)}"));
            return;
        }

        if (_streams)
        {
            _readBudget = drained ? ReadBudget : Math.Min(_readBudget * 2, StreamingReadBudget);
        }

        if (Sessions.EchoStages.Enabled && total <= 64)
        {
            Sessions.EchoStages.Mark(null, Sessions.EchoStages.Stage.PtyRead);
        }

        _readScheduler.OnRead(total, System.Diagnostics.Stopwatch.GetTimestamp());
        var flush = writer.FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            if (!flush.Result.IsCompleted)
            {
                ArmRead();
            }

            return;
        }

        _ = ArmAfterFlushAsync(flush);
    }

    private async Task ArmAfterFlushAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            var result = await flush.ConfigureAwait(false);
            if (!result.IsCompleted)
            {
                ArmRead();
            }
        }
        catch (InvalidOperationException)
        {
            // The reader completed while we were flushing: nobody wants more output.
        }
    }

    private void ArmRead()
    {
        lock (_gate)
        {
            if (!_closed)
            {
                _readArmed = true;
                RearmLocked();
                return;
            }
        }

        // Disposed while this read cycle held the writer: the cycle completes it, as no other thread may touch it.
        _pipe!.Writer.Complete();
    }

    private void RearmLocked()
    {
        var events = (_readArmed ? LibC.EPOLLIN : 0) | (_writable is not null ? LibC.EPOLLOUT : 0);
        if (events != 0)
        {
            _loop.Rearm(_fd.Fd, _token, events);
        }
    }

    /// <summary>Writes all of <paramref name="data"/>. Returns false when the other side is gone.</summary>
    public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var n = _fd.TryWrite(data.Span);
            if (n > 0)
            {
                data = data[n..];
                continue;
            }

            if (n != -LibC.EAGAIN)
            {
                return false;
            }

            Task wait;
            lock (_gate)
            {
                if (_closed)
                {
                    return false;
                }

                _writable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _writable.Task;
                RearmLocked();
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Stops watching and closes the descriptor. The output completes (no reader waits forever on a disposed channel):
    /// here when no read cycle holds the pipe's writer, otherwise when that cycle ends.
    /// </summary>
    public void Dispose()
    {
        TaskCompletionSource? writable;
        bool idle;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            // Armed means waiting for the loop, so no thread is using the writer and none will: OnReady and ArmRead
            // see _closed under this lock.
            idle = _readArmed;
            writable = _writable;
            _writable = null;
        }

        _loop.Remove(_fd.Fd, _token);
        writable?.TrySetResult();
        if (idle)
        {
            _pipe!.Writer.Complete();
        }

        _fd.Dispose();
    }
}
