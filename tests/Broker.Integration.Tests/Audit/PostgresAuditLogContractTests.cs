using Broker.Approvals.Tests.Stores;
using Broker.Server.Audit;
using Npgsql;

namespace Broker.Integration.Tests.Audit;

/// <summary>
/// The audit log contract on PostgreSQL (a real server, a database of its own per test, migrated by the broker's
/// schema), and what sharing it adds: every replica reads every replica's events, in one order.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class PostgresAuditLogContractTests(PostgresFixture postgres) : AuditLogContract
{
    private readonly List<NpgsqlDataSource> _sources = [];
    private string _connectionString = "";

    public override async Task DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

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
        var database = await postgres.MigratedDatabaseAsync(Ct);
        _sources.Add(database);
        _connectionString = database.ConnectionString;
        return new PostgresAuditLog(database);
    }

    private protected override IAuditLog OpenOther()
    {
        // A connection pool of its own: another process over the same database.
        var database = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(database);
        return new PostgresAuditLog(database);
    }
}
