namespace Recorder.Tests.Support;

/// <summary>
/// A clock where every timer fires at once and moves the clock forward by its due time, recording
/// each wait: playback timing becomes a list of waits to compare, with no real waiting.
/// </summary>
internal sealed class InstantTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _waits = [];
    private long _now;

    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_gate)
            {
                return [.. _waits];
            }
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (_gate)
            {
                _waits.Add(dueTime);
                _now += dueTime.Ticks;
            }

            callback(state);
        }

        return new FiredTimer();
    }

    private sealed class FiredTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
