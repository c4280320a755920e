using Broker.Core.Sessions;
using Broker.Approvals.Tests.Stores;
using Broker.Server.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Recorder;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>
/// Two replicas, each with its own data directory, over one PostgreSQL index: the start-up repair of one leaves the
/// other's recordings alone, the owner restarted repairs what its crash left, and a recording verifies on the replica
/// that did not sign it, with the key its signer published.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class SharedIndexRepairTests(PostgresFixture postgres) : IAsyncLifetime, IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly string _root = Directory.CreateTempSubdirectory("shared-index-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private NpgsqlDataSource _database = null!;
    private RecordingStore _diskA = null!;
    private RecordingStore _diskB = null!;

    public async Task InitializeAsync()
    {
        _database = await postgres.MigratedDatabaseAsync(_timeout.Token);
        _diskA = new RecordingStore(Path.Combine(_root, "a"), new RecordingWriterOptions());
        _diskB = new RecordingStore(Path.Combine(_root, "b"), new RecordingWriterOptions());
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    public void Dispose()
    {
        _diskA.Dispose();
        _diskB.Dispose();
        _timeout.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Another_replicas_repair_leaves_a_crashed_session_to_its_owner_whose_restart_marks_it_crashed()
    {
        var a = Catalog(_diskA, "replica-a");
        await RecordSessionAsync(a, "a-finished");
        await CrashSessionAsync(a, "a-crashed");

        (await Catalog(_diskB, "replica-b").RepairAsync(_timeout.Token)).Should().Be(0, "B has no file of A's and must not decide about A's sessions");
        a.Index.Get("a-crashed")!.EndedAt.Should().BeNull();
        a.Index.Get("a-finished")!.MissingSince.Should().BeNull();

        var restartedA = Catalog(_diskA, "replica-a");
        (await restartedA.RepairAsync(_timeout.Token)).Should().Be(1);
        var crashed = restartedA.Index.Get("a-crashed")!;
        crashed.EndReason.Should().Be(RecordingIndexEntry.CrashedReason);
        crashed.EndedAt.Should().NotBeNull();
    }

    [Fact]
    public async Task A_recording_signed_by_one_replica_verifies_on_another_with_the_key_it_published()
    {
        await new PostgresRecordingKeys(_database, _diskA, "replica-a").StartAsync(_timeout.Token);
        await new PostgresRecordingKeys(_database, _diskB, "replica-b").StartAsync(_timeout.Token);
        var path = await RecordSessionAsync(Catalog(_diskA, "replica-a"), "a-sealed");
        var b = Catalog(_diskB, "replica-b");

        var key = b.PublicKeyFor(_diskA.Key.KeyIdHex);

        key.Should().Be(_diskA.PublicKeyPem).And.NotBe(_diskB.PublicKeyPem);
        await using var file = File.OpenRead(path);
        RecordingVerifier.Verify(file, key).Status.Should().Be(VerificationStatus.IntactAndSealed);
        b.PublicKeyFor(new string('0', 64)).Should().Be(_diskB.PublicKeyPem, "an unknown key id falls back to B's own key, against which the recording fails");
    }

    private RecordingCatalog Catalog(RecordingStore disk, string replica) =>
        new(disk, new PostgresRecordingIndex(_database, replica), _time, NullLogger<RecordingCatalog>.Instance, keys: new PostgresRecordingKeys(_database, disk, replica));

    private static RecordingHeader Header(string id, DateTimeOffset started) => new()
    {
        SessionId = id,
        Subject = "agent-of-" + id,
        Issuer = "test",
        Target = "local",
        Kind = "exec",
        StartedAt = started,
    };

    private async Task<string> RecordSessionAsync(RecordingCatalog catalog, string id)
    {
        var journal = catalog.OpenJournal(Header(id, _time.GetUtcNow()), NullLogger.Instance);
        journal.Output(OutputChannel.Stdout, "output"u8);
        journal.Ended(new SessionEvent.Ended(0, 0, SessionEndReason.Exited));
        await journal.CompleteAsync().WaitAsync(_timeout.Token);
        await catalog.WhenClosedAsync().WaitAsync(_timeout.Token);
        return journal.Path;
    }

    private async Task CrashSessionAsync(RecordingCatalog catalog, string id)
    {
        // A crash: the row says started, the file has a checkpoint but no exit and no seal.
        var writer = catalog.Storage.Create(Header(id, _time.GetUtcNow()), _time);
        catalog.Index.Upsert(RecordingIndexEntry.Started(writer.Header, catalog.Storage.PathFor(id, writer.Header.StartedAt)));
        writer.AppendOutput(OutputStream.Terminal, "partial"u8);
        await writer.FlushAsync(_timeout.Token);
        await writer.DisposeAsync();
    }
}
