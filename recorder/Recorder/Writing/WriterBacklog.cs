namespace Recorder.Writing;

/// <summary>
/// What a <see cref="RecordingWriter"/> has been given and not yet written, and the producers
/// waiting for it to drain. A session's output and input wait here (so the program is not read
/// while the recorder is behind) instead of the recorder faulting. Only a destination that holds
/// one write (or flush) for the whole stall timeout is reported: a writer that is merely slow, or
/// waiting for a core on a busy machine, is not stalled. Only producers that never wait can push
/// the backlog past the hard limit.
/// </summary>
internal sealed class WriterBacklog
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _pauseAbove;
    private readonly long _resumeAt;
    private readonly TimeSpan _stallTimeout;
    private long _pendingBytes;
    private long _ioStarted;
    private bool _inIo;
    private TaskCompletionSource? _drained;
    private bool _released;

    public WriterBacklog(TimeProvider time, long pauseAbove, long hardLimit, TimeSpan stallTimeout)
    {
        _time = time;
        _pauseAbove = pauseAbove;
        _resumeAt = pauseAbove / 2;
        HardLimit = hardLimit;
        _stallTimeout = stallTimeout;
    }

    /// <summary>Bytes past which an append that does not wait faults the writer.</summary>
    public long HardLimit { get; }

    /// <summary>Bytes handed to the background writer and not yet written.</summary>
    public long PendingBytes
    {
        get
        {
            lock (_gate)
            {
                return _pendingBytes;
            }
        }
    }

    /// <summary>Accounts a batch for the background writer; false when that would pass the hard limit.</summary>
    public bool TryAdd(long bytes)
    {
        lock (_gate)
        {
            if (_pendingBytes + bytes > HardLimit)
            {
                return false;
            }

            _pendingBytes += bytes;
            return true;
        }
    }

    /// <summary>The background writer hands bytes to its destination (a write or a flush).</summary>
    public void IoStarted()
    {
        lock (_gate)
        {
            _ioStarted = _time.GetTimestamp();
            _inIo = true;
        }
    }

    /// <summary>The destination took them.</summary>
    public void IoDone()
    {
        lock (_gate)
        {
            _inIo = false;
        }
    }

    /// <summary>The background writer finished a batch of <paramref name="bytes"/>.</summary>
    public void Completed(long bytes)
    {
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            _pendingBytes -= bytes;
            if (_drained is not null && _pendingBytes <= _resumeAt)
            {
                drained = _drained;
                _drained = null;
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>Completes when the backlog is small enough to add to (at once when it already is).</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            if (_released || _pendingBytes <= _pauseAbove)
            {
                return ValueTask.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _drained.Task;
        }

        return new ValueTask(wait.WaitAsync(cancellationToken));
    }

    /// <summary>Whether the destination has held one write or flush for the stall timeout; <paramref name="held"/> is how long.</summary>
    public bool IsStalled(out TimeSpan held)
    {
        lock (_gate)
        {
            held = _inIo ? _time.GetElapsedTime(_ioStarted) : TimeSpan.Zero;
            return _inIo && held >= _stallTimeout;
        }
    }

    /// <summary>The writer failed or closed: nobody waits for it any more.</summary>
    public void Release()
    {
        TaskCompletionSource? drained;
        lock (_gate)
        {
            _released = true;
            drained = _drained;
            _drained = null;
        }

        drained?.TrySetResult();
    }
}
