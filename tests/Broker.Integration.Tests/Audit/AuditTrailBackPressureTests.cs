using System.Collections.Concurrent;
using Broker.Approvals.Tests.Stores;
using Broker.Server.Audit;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Integration.Tests.Audit;

/// <summary>
/// The audit trail never holds a session up: with the store stalled (its table locked by another transaction on a real
/// PostgreSQL server), posting goes on returning at once, what the bounded queue cannot take is counted as dropped, and
/// once the store moves again every queued event is stored, followed by one <c>audit.dropped</c> event with the count.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class AuditTrailBackPressureTests(PostgresFixture postgres) : IDisposable
{
    private const int Capacity = 64;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_stalled_store_drops_and_counts_what_the_queue_cannot_hold_and_stores_the_count_when_it_moves_again()
    {
        await using var database = await postgres.MigratedDatabaseAsync(Ct);
        var log = new PostgresAuditLog(database);
        var logger = new CapturingLogger();
        using var trail = new AuditTrail(log, "replica-a", TimeProvider.System, retention: null, TimeSpan.FromHours(1), logger, Capacity);
        await trail.StartAsync(Ct);

        await using var blocker = await database.OpenConnectionAsync(Ct);
        await using var stall = await blocker.BeginTransactionAsync(Ct);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE", blocker, stall))
        {
            await lockTable.ExecuteNonQueryAsync(Ct);
        }

        const int posted = Capacity + 1000;
        for (var i = 0; i < posted; i++)
        {
            trail.Post(new AuditEvent { Kind = AuditEventKind.CommandDecided, SessionId = $"s-{i}", Decision = "allow" });
        }

        // The writer holds at most one batch (256) out of the queue while the insert waits on the lock.
        trail.Dropped.Should().BeInRange(1000 - 256, 1000, "a full queue drops instead of waiting");
        trail.Written.Should().Be(0);
        var dropped = trail.Dropped;

        await stall.CommitAsync(Ct);
        var stored = posted - dropped;
        // The count is stored with the next batch the writer takes after the drops: in one audit.dropped event when the
        // writer had taken its batch before the queue filled, in two when it woke while the queue was filling.
        IReadOnlyList<AuditEvent> rows = [];
        await EventuallyAsync(
            async () =>
            {
                rows = await log.ListAsync(new AuditQuery { Limit = 10_000 }, Ct);
                return rows.Count(r => r.Kind == AuditEventKind.CommandDecided) == stored && DroppedTotal(rows) == dropped;
            },
            () => $"expected {stored} stored and {dropped} dropped; the log holds {rows.Count(r => r.Kind == AuditEventKind.CommandDecided)} "
                + $"commands and {DroppedTotal(rows)} dropped in {rows.Count(r => r.Kind == AuditEventKind.EventsDropped)} events; the trail counts "
                + $"{trail.Written} written and {trail.Dropped} dropped; it logged:\n{string.Join('\n', logger.Lines)}");

        rows.Where(r => r.Kind == AuditEventKind.EventsDropped).Should().HaveCountLessThanOrEqualTo(2);
        rows.Where(r => r.Kind == AuditEventKind.CommandDecided).Should().OnlyContain(r => r.Replica == "replica-a");
        await trail.StopAsync(Ct);
    }

    [Fact]
    public async Task A_stop_writes_out_what_is_queued()
    {
        await using var database = await postgres.MigratedDatabaseAsync(Ct);
        var log = new PostgresAuditLog(database);
        using var trail = new AuditTrail(log, "replica-a", TimeProvider.System, retention: null, TimeSpan.FromHours(1), new CapturingLogger(), Capacity);
        await trail.StartAsync(Ct);
        for (var i = 0; i < Capacity; i++)
        {
            trail.Post(new AuditEvent { Kind = AuditEventKind.SessionEnded, SessionId = $"s-{i}" });
        }

        await trail.StopAsync(Ct);

        trail.Dropped.Should().Be(0);
        (await log.ListAsync(new AuditQuery { Limit = 1000 }, Ct)).Should().HaveCount(Capacity);
    }

    public void Dispose() => _timeout.Dispose();

    private static long DroppedTotal(IEnumerable<AuditEvent> rows) =>
        rows.Where(r => r.Kind == AuditEventKind.EventsDropped).Sum(r => long.Parse(r.Fields["count"], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Polls <paramref name="condition"/> until it holds; past the test's budget, fails with what <paramref name="state"/> says.</summary>
    private async Task EventuallyAsync(Func<Task<bool>> condition, Func<string> state)
    {
        try
        {
            while (!await condition())
            {
                await Task.Delay(20, Ct);
            }
        }
        catch (OperationCanceledException) when (Ct.IsCancellationRequested)
        {
            throw new TimeoutException(state());
        }
    }

    /// <summary>Keeps what the trail logs (a store failure and its retries), to say why a wait timed out.</summary>
    private sealed class CapturingLogger : ILogger<AuditTrail>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}");
    }
}
