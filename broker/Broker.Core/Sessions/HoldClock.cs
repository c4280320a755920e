using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>
/// One clock for the hold delays of every session of a broker (its output's and its recorded input's): it keeps the
/// due time of each armed hold and fires them from one timer. With a timer per hold, a hundred sessions typing a key a
/// second cost a hundred to two hundred timer firings a second, each a wake-up of the runtime's timer thread and a
/// work item for the thread pool, and each arming a wake-up of the timer thread to move its deadline; here every hold
/// due by the time the timer fires is fired by that one firing, and arming a hold while the timer is already set for
/// an earlier time touches no timer at all.
/// <para>
/// A hold fires no earlier than its due time, and no later than <see cref="Slack"/> after it (plus the timer's own
/// lateness): two firings are never closer together than <see cref="Slack"/>, so holds falling due in that span share a
/// firing. A hold that is armed alone (the clock idle for <see cref="Slack"/>) fires at its due time.
/// </para>
/// <para>
/// The owner's callback runs on the thread that fired the clock (the thread pool's, for the system clock), outside the
/// clock's lock, holds due together in the order they fell due. It must be short and must not block: it takes its
/// owner's lock, flushes, and queues any further work (an owner whose work would wait starts it and returns).
/// </para>
/// </summary>
internal sealed class HoldClock : IDisposable
{
    /// <summary>
    /// The longest a hold waits past its due time for the clock to fire it, and the shortest span between two firings.
    /// A hold delay is 20 ms by default: 5 ms at most on top of it is below what a person sees in the release of held
    /// output, and it caps the clock at 200 firings a second however many sessions hold bytes.
    /// </summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(5);

    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    // Armed holds, in no order (a hold knows its index, so removing one is a swap with the last).
    private readonly List<Hold> _armed = [];
    private readonly long _slack;
    // When the timer fires next (a timestamp), or long.MaxValue when it is not set; under _gate.
    private long _firesAt = long.MaxValue;
    // When it last fired (the timestamp it was due at): the next firing is not before this plus the slack; under _gate.
    private long _firedAt = long.MinValue / 2;

    public HoldClock(TimeProvider time)
    {
        Time = time;
        _slack = ToTimestamps(Slack);
        _timer = time.CreateTimer(static clock => ((HoldClock)clock!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The broker's clock, which hold delays are measured by.</summary>
    public TimeProvider Time { get; }

    /// <summary>How many holds are armed now (a hold that is disposed or has fired is not).</summary>
    public int Armed
    {
        get
        {
            lock (_gate)
            {
                return _armed.Count;
            }
        }
    }

    /// <summary>A hold of one owner, which calls <paramref name="fired"/> each time it falls due.</summary>
    public Hold Register(Action fired) => new(this, fired);

    /// <summary>Stops the timer: no hold fires any more (the broker is shutting down).</summary>
    public void Dispose() => _timer.Dispose();

    private long ToTimestamps(TimeSpan span) => (long)Math.Ceiling(span.Ticks * (double)Time.TimestampFrequency / TimeSpan.TicksPerSecond);

    private TimeSpan ToSpan(long timestamps) => TimeSpan.FromTicks((long)Math.Ceiling(timestamps * (double)TimeSpan.TicksPerSecond / Time.TimestampFrequency));

    private void Arm(Hold hold, long due)
    {
        lock (_gate)
        {
            if (hold.Disposed)
            {
                return;
            }

            if (hold.Index < 0)
            {
                hold.Index = _armed.Count;
                _armed.Add(hold);
            }

            SetTimer(due, Time.GetTimestamp());
        }
    }

    private void Disarm(Hold hold)
    {
        lock (_gate)
        {
            hold.Disposed = true;
            if (hold.Index >= 0)
            {
                Remove(hold);
            }
        }
    }

    /// <summary>Sets the timer for <paramref name="due"/> (not sooner than the slack after the last firing) if it is set later or not at all.</summary>
    private void SetTimer(long due, long now)
    {
        // Never for now or the past: a timer due at once may fire on this thread, inside the lock and the owner's.
        var at = Math.Max(Math.Max(due, _firedAt + _slack), now + 1);
        if (at < _firesAt)
        {
            _firesAt = at;
            _timer.Change(ToSpan(at - now), Timeout.InfiniteTimeSpan);
        }
    }

    private void Remove(Hold hold)
    {
        var last = _armed[^1];
        _armed[hold.Index] = last;
        last.Index = hold.Index;
        _armed.RemoveAt(_armed.Count - 1);
        hold.Index = -1;
    }

    private void Fire()
    {
        Hold[]? due = null;
        var count = 0;
        lock (_gate)
        {
            var now = Time.GetTimestamp();
            // The slack counts from when the firing was due, not from when a busy machine ran it: a late firing must
            // not push the next hold later still.
            _firedAt = Math.Min(_firesAt, now);
            _firesAt = long.MaxValue;
            var next = long.MaxValue;
            for (var i = _armed.Count - 1; i >= 0; i--)
            {
                var hold = _armed[i];
                var at = hold.Due;
                if (at > now)
                {
                    next = Math.Min(next, at);
                    continue;
                }

                due ??= ArrayPool<Hold>.Shared.Rent(_armed.Count);
                Remove(hold);
                // In the order they fell due (a few at a time: an insertion).
                var j = count++;
                for (; j > 0 && due[j - 1].Due > at; j--)
                {
                    due[j] = due[j - 1];
                }

                due[j] = hold;
            }

            if (next != long.MaxValue)
            {
                SetTimer(next, now);
            }
        }

        if (due is null)
        {
            return;
        }

        try
        {
            for (var i = 0; i < count; i++)
            {
                due[i].Fired();
            }
        }
        finally
        {
            ArrayPool<Hold>.Shared.Return(due, clearArray: true);
        }
    }

    /// <summary>
    /// One owner's hold. <see cref="Schedule"/> arms it or moves its due time; it fires once per arming, then is armed
    /// again only by the next <see cref="Schedule"/>. Disposed, it never fires again (a firing already under way may
    /// still reach its owner, which decides under its own lock).
    /// </summary>
    internal sealed class Hold : IDisposable
    {
        private readonly HoldClock _clock;
        private readonly Action _fired;
        private long _due;
        private int _index = -1;

        internal Hold(HoldClock clock, Action fired)
        {
            _clock = clock;
            _fired = fired;
        }

        /// <summary>Where it is in the clock's list of armed holds, or -1; written under the clock's lock.</summary>
        internal int Index
        {
            get => Volatile.Read(ref _index);
            set => Volatile.Write(ref _index, value);
        }

        /// <summary>Whether it was disposed; under the clock's lock.</summary>
        internal bool Disposed { get; set; }

        internal long Due => Volatile.Read(ref _due);

        /// <summary>
        /// Fires the hold <paramref name="delay"/> from now: arms it, or moves its due time when it is armed already (to
        /// later, as more input or output keeps the bytes held). Armed already, it costs one interlocked write and no
        /// lock: the clock reads the new time when its timer fires. A firing that read the old time just before reaches
        /// the owner after this call (the owner's lock, or the full fence here against the clock's lock), and the owner
        /// finds its delay not over and schedules the rest.
        /// </summary>
        public void Schedule(TimeSpan delay)
        {
            var due = _clock.Time.GetTimestamp() + _clock.ToTimestamps(delay);
            // Moved earlier (a filter whose delay shrank), the timer may have to be set sooner.
            if (Interlocked.Exchange(ref _due, due) > due || Index < 0)
            {
                _clock.Arm(this, due);
            }
        }

        public void Dispose() => _clock.Disarm(this);

        internal void Fired() => _fired();
    }
}
