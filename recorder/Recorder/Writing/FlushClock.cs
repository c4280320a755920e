namespace Recorder.Writing;

/// <summary>
/// One timer for every open recording with the same clock and flush interval. Each writer used to arm a timer of
/// its own: with a hundred sessions typing, a hundred timer wake-ups a second, each handing one writer's flush to a
/// thread-pool worker that had to be woken for it. One tick now posts every writer's flush at once, so a worker woken
/// for the first finds the others queued behind it, and their checkpoints are signed in one run, with the signing
/// code and key warm. An appended event still waits at most one flush interval to be written.
/// </summary>
internal sealed class FlushClock : IDisposable
{
    private static readonly Lock Clocks = new();
    private static readonly Dictionary<(TimeProvider Time, TimeSpan Interval), FlushClock> Running = [];

    private readonly Lock _gate = new();
    private readonly HashSet<RecordingWriter> _writers = [];
    private readonly (TimeProvider Time, TimeSpan Interval) _key;
    private readonly ITimer _timer;
    private RecordingWriter[] _tick = [];
    private int _ticking;

    private FlushClock((TimeProvider Time, TimeSpan Interval) key)
    {
        _key = key;
        _timer = key.Time.CreateTimer(static state => ((FlushClock)state!).Tick(), this, key.Interval, key.Interval);
    }

    /// <summary>Writers this clock flushes (for tests: one clock serves many writers).</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                return _writers.Count;
            }
        }
    }

    /// <summary>Starts flushing <paramref name="writer"/> every <paramref name="interval"/> of <paramref name="time"/>; dispose the result to stop.</summary>
    public static FlushClock Join(RecordingWriter writer, TimeProvider time, TimeSpan interval)
    {
        lock (Clocks)
        {
            if (!Running.TryGetValue((time, interval), out var clock))
            {
                clock = new FlushClock((time, interval));
                Running.Add((time, interval), clock);
            }

            lock (clock._gate)
            {
                clock._writers.Add(writer);
            }

            return clock;
        }
    }

    /// <summary>Stops flushing <paramref name="writer"/>; the last writer to leave stops the timer.</summary>
    public void Leave(RecordingWriter writer)
    {
        lock (Clocks)
        {
            lock (_gate)
            {
                if (!_writers.Remove(writer) || _writers.Count > 0)
                {
                    return;
                }
            }

            Running.Remove(_key);
            Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        // A tick that outlasts the interval (a stalled machine) is not overlapped by the next: that one is skipped,
        // and the writers it would have flushed are flushed by this one or the one after.
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }

        try
        {
            int count;
            lock (_gate)
            {
                count = _writers.Count;
                if (_tick.Length < count)
                {
                    _tick = new RecordingWriter[Math.Max(count, _tick.Length * 2)];
                }

                _writers.CopyTo(_tick);
            }

            for (var i = 0; i < count; i++)
            {
                _tick[i].OnFlushTimer();
                _tick[i] = null!;
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
