using Broker.Approvals.Tests.Stores;
using Broker.Integration.Tests.Fixtures;
using Broker.Server.Recording;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>
/// The index contract on PostgreSQL (a real server, a database of its own per test), and what sharing it between
/// replicas adds: every replica reads every row, but the repair reads only its own.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class PostgresRecordingIndexContractTests(PostgresFixture postgres) : RecordingIndexContract
{
    private readonly ReplicaPools _pools = new();

    public override async Task DisposeAsync()
    {
        await _pools.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public void Another_replica_reads_and_expires_every_row_but_repairs_only_its_own()
    {
        var replicaB = Replica("replica-b");
        Index.Upsert(Row("a-running", 1, ended: false));
        Index.Upsert(Row("a-ended", 2));
        replicaB.Upsert(Row("b-running", 3, ended: false));

        replicaB.Get("a-ended").Should().Be(Row("a-ended", 2));
        replicaB.List(new RecordingQuery()).Select(r => r.SessionId).Should().Equal("b-running", "a-ended", "a-running");
        replicaB.EndedBefore(DateTimeOffset.MaxValue).Select(r => r.SessionId).Should().Equal("a-ended");

        // A's running session is A's to repair: B must neither re-read it nor mark it missing.
        replicaB.Unended().Select(r => r.SessionId).Should().Equal("b-running");
        replicaB.SessionIds().Should().BeEquivalentTo(["b-running"]);
        Index.Unended().Select(r => r.SessionId).Should().Equal("a-running");
        Index.SessionIds().Should().BeEquivalentTo(["a-running", "a-ended"]);

        replicaB.Remove("a-ended");
        Index.Get("a-ended").Should().BeNull();
    }

    private protected override async Task<IRecordingIndex> OpenAsync()
    {
        return new PostgresRecordingIndex(await _pools.FirstAsync(postgres, Ct), "replica-a");
    }

    private protected override IRecordingIndex OpenSame() => Replica("replica-a");

    private PostgresRecordingIndex Replica(string id)
    {
        return new PostgresRecordingIndex(_pools.Another(), id);
    }
}
