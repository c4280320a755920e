using System.Collections.Concurrent;
using Broker.Server.Audit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Integration.Tests.Audit;

/// <summary>
/// The audit trail's writer keeps going whatever the store does. Every drop is stored as a count, whenever it happened. A drop can land after the writer read the count for the batch
/// it is building and before it drained the queue; when that drain empties the queue, no later event wakes the writer,
/// and the count was never stored (one CI run's <see cref="AuditTrailBackPressureTests"/> waited out its budget on
/// exactly that). The interleaving is made, not hoped for: the writer stamps its drop event with the clock between
/// reading the count and draining, and this test's clock posts one more event into the full queue at that moment.
/// And a store failure of any kind is retried, not only the database's own: a writer that died on one would leave every
/// later event dropped, and nothing stored to say so.
/// </summary>
public sealed class AuditTrailWriterTests : IDisposable
{
    private const int Capacity = 8;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_drop_that_lands_while_the_writer_drains_is_stored_as_a_count_though_no_event_follows_it()
    {
        var log = new GatedAuditLog();
        var clock = new PostingClock();
        using var trail = new AuditTrail(log, "replica-a", clock, retention: null, TimeSpan.FromHours(1), NullLogger<AuditTrail>.Instance, Capacity);
        await trail.StartAsync(Ct);

        // The writer takes the first event and waits in the store; the queue then fills and one event is dropped.
        trail.Post(Command(0));
        await log.Entered.WaitAsync(Ct);
        for (var i = 1; i <= Capacity + 1; i++)
        {
            trail.Post(Command(i));
        }

        trail.Dropped.Should().Be(1);

        // When the writer stamps that drop's event it has read the count; one more post drops before it drains.
        clock.OnNextStamp = () => trail.Post(Command(Capacity + 2));
        log.Open();
        await log.Stored(2 + Capacity).WaitAsync(Ct);
        clock.OnNextStamp.Should().BeNull("the writer stamped a drop event");
        trail.Dropped.Should().Be(2);

        await trail.StopAsync(Ct);

        log.Events.Count(e => e.Kind == AuditEventKind.CommandDecided).Should().Be(1 + Capacity, "what was not dropped is stored");
        log.DroppedTotal.Should().Be(2, "every drop is stored as a count, the late one too");
    }

    [Fact]
    public async Task A_store_failure_of_an_unexpected_kind_is_retried_and_the_event_stored()
    {
        var log = new FailingOnceAuditLog();
        using var trail = new AuditTrail(log, "replica-a", TimeProvider.System, retention: null, TimeSpan.FromHours(1), NullLogger<AuditTrail>.Instance, Capacity);
        await trail.StartAsync(Ct);

        trail.Post(Command(1));
        await log.StoredOne.WaitAsync(Ct);

        log.Appends.Should().Be(2, "the failed append, then its retry");
        trail.Written.Should().Be(1);
        await trail.StopAsync(Ct);
    }

    public void Dispose() => _timeout.Dispose();

    private static AuditEvent Command(int i) => new() { Kind = AuditEventKind.CommandDecided, SessionId = $"s-{i}" };

    /// <summary>The system clock, which runs <see cref="OnNextStamp"/> once, on the next stamp it gives.</summary>
    private sealed class PostingClock : TimeProvider
    {
        private Action? _onNextStamp;

        public Action? OnNextStamp
        {
            get => Volatile.Read(ref _onNextStamp);
            set => Volatile.Write(ref _onNextStamp, value);
        }

        public override DateTimeOffset GetUtcNow()
        {
            Interlocked.Exchange(ref _onNextStamp, null)?.Invoke();
            return base.GetUtcNow();
        }
    }

    /// <summary>A store whose first append fails as no database would (a bug's exception), and whose next one stores.</summary>
    private sealed class FailingOnceAuditLog : IAuditLog
    {
        private readonly TaskCompletionSource _storedOne = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _appends;

        public Task StoredOne => _storedOne.Task;

        public int Appends => Volatile.Read(ref _appends);

        public Task AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _appends) == 1)
            {
                throw new InvalidOperationException("not a DbException, TimeoutException or IOException");
            }

            _storedOne.TrySetResult();
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<AuditEvent>> ListAsync(AuditQuery query, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<AuditEvent>>([]);

        public Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => Task.FromResult(0);
    }

    /// <summary>A store in memory whose first append waits until <see cref="Open"/>, as a locked table would.</summary>
    private sealed class GatedAuditLog : IAuditLog
    {
        private readonly ConcurrentQueue<AuditEvent> _events = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _counts = new();

        public Task Entered => _entered.Task;

        public IReadOnlyCollection<AuditEvent> Events => _events;

        public long DroppedTotal => _events
            .Where(e => e.Kind == AuditEventKind.EventsDropped)
            .Sum(e => long.Parse(e.Fields["count"], System.Globalization.CultureInfo.InvariantCulture));

        public void Open() => _open.TrySetResult();

        /// <summary>Completes once at least <paramref name="count"/> events are stored.</summary>
        public Task Stored(int count)
        {
            var waiter = _counts.GetOrAdd(count, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (_events.Count >= count)
            {
                waiter.TrySetResult();
            }

            return waiter.Task;
        }

        public async Task AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
            foreach (var auditEvent in events)
            {
                _events.Enqueue(auditEvent);
            }

            foreach (var (count, waiter) in _counts)
            {
                if (_events.Count >= count)
                {
                    waiter.TrySetResult();
                }
            }
        }

        public Task<IReadOnlyList<AuditEvent>> ListAsync(AuditQuery query, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<AuditEvent>>([.. _events]);

        public Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => Task.FromResult(0);
    }
}
