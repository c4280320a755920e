using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests.Sessions;

/// <summary>A <see cref="FakeTimeProvider"/> that counts how often its timers are armed (each <see cref="ITimer.Change"/>) and fire.</summary>
internal sealed class TimerCountingTimeProvider : TimeProvider
{
    private int _changes;
    private int _firings;

    public FakeTimeProvider Fake { get; } = new();

    /// <summary>Calls of <see cref="ITimer.Change"/> on every timer made so far.</summary>
    public int Changes => Volatile.Read(ref _changes);

    /// <summary>Callbacks of every timer made so far.</summary>
    public int Firings => Volatile.Read(ref _firings);

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new CountedTimer(this, Fake.CreateTimer(
            s =>
            {
                Interlocked.Increment(ref _firings);
                callback(s);
            },
            state,
            dueTime,
            period));

    public void Advance(TimeSpan delta) => Fake.Advance(delta);

    private sealed class CountedTimer(TimerCountingTimeProvider owner, ITimer timer) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref owner._changes);
            return timer.Change(dueTime, period);
        }

        public void Dispose() => timer.Dispose();

        public ValueTask DisposeAsync() => timer.DisposeAsync();
    }
}
