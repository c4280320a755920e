using Broker.Approvals.Tests.Stores;
using Broker.Integration.Tests.Fixtures;
using Broker.Server.Audit;

namespace Broker.Integration.Tests.Audit;

/// <summary>
/// The audit log contract on PostgreSQL (a real server, a database of its own per test, migrated by the broker's
/// schema), and what sharing it adds: every replica reads every replica's events, in one order.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class PostgresAuditLogContractTests(PostgresFixture postgres) : AuditLogContract
{
    private readonly ReplicaPools _pools = new();

    public override async Task DisposeAsync()
    {
        await _pools.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Every_replica_reads_every_replicas_events_in_time_order()
    {
        var replicaB = OpenOther();
        await Log.AppendAsync([Event(0, replica: "replica-a", session: "on-a"), Event(2, replica: "replica-a", session: "on-a")], Ct);
        await replicaB.AppendAsync([Event(1, replica: "replica-b", session: "on-b")], Ct);

        var seenFromB = await replicaB.ListAsync(new AuditQuery(), Ct);
        seenFromB.Select(e => (e.Replica, e.SessionId)).Should().Equal(("replica-a", "on-a"), ("replica-b", "on-b"), ("replica-a", "on-a"));
        (await Log.ListAsync(new AuditQuery(), Ct)).Should().BeEquivalentTo(seenFromB, o => o.WithStrictOrdering());
    }

    private protected override async Task<IAuditLog> OpenAsync()
    {
        return new PostgresAuditLog(await _pools.FirstAsync(postgres, Ct));
    }

    private protected override IAuditLog OpenOther()
    {
        return new PostgresAuditLog(_pools.Another());
    }
}
