using Broker.Core.Sessions;
using Broker.Server.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Recorder;

namespace Broker.Integration.Tests.Recording;

/// <summary>The index over real recording files: repaired after a crash or loss, and pruned by retention on the broker's clock.</summary>
public sealed class RecordingIndexMaintenanceTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "broker-index-" + Guid.NewGuid().ToString("n"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly RecordingStore _store;

    public RecordingIndexMaintenanceTests()
    {
        _store = new RecordingStore(_data, new RecordingWriterOptions());
    }

    private string IndexPath => Path.Combine(_data, SqliteRecordingIndex.FileName);

    [Fact]
    public async Task The_retention_sweep_deletes_ended_recordings_past_retention_and_keeps_the_rest()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var index = new SqliteRecordingIndex(IndexPath);
        var catalog = new RecordingCatalog(_store, index, _time, NullLogger<RecordingCatalog>.Instance);
        using var maintenance = new RecordingMaintenance(catalog, TimeSpan.FromDays(7), TimeSpan.FromHours(1), _time, NullLogger<RecordingMaintenance>.Instance);
        await maintenance.StartAsync(cts.Token);

        var old = await RecordSessionAsync(catalog, "old-session", 0);
        _time.Advance(TimeSpan.FromDays(3));
        var recent = await RecordSessionAsync(catalog, "recent-session", 0);
        var running = catalog.OpenJournal(Header("running-session"), NullLogger.Instance);

        _time.Advance(TimeSpan.FromDays(4) + TimeSpan.FromHours(1));

        File.Exists(old).Should().BeFalse();
        index.Get("old-session").Should().BeNull();
        File.Exists(recent).Should().BeTrue();
        index.Get("recent-session").Should().NotBeNull();

        _time.Advance(TimeSpan.FromDays(10));
        File.Exists(recent).Should().BeFalse();
        index.Get("running-session").Should().NotBeNull("a running session is never swept");
        running.Ended(new SessionEvent.Ended(0, 0, SessionEndReason.Exited));
        await running.CompleteAsync().WaitAsync(cts.Token);
        await maintenance.StopAsync(cts.Token);
    }

    [Fact]
    public async Task A_lost_index_is_rebuilt_from_the_files_and_a_session_cut_by_a_crash_is_marked_so()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using (var first = new SqliteRecordingIndex(IndexPath))
        {
            var catalog = new RecordingCatalog(_store, first, _time, NullLogger<RecordingCatalog>.Instance);
            await RecordSessionAsync(catalog, "finished-session", 5);

            // A crash: the row says started, the file has a checkpoint but no exit and no seal.
            var writer = _store.Create(Header("crashed-session"), _time);
            first.Upsert(RecordingIndexEntry.Started(writer.Header, _store.PathFor("crashed-session", writer.Header.StartedAt)));
            writer.AppendOutput(OutputStream.Terminal, "partial"u8);
            await writer.FlushAsync(cts.Token);
            await writer.DisposeAsync();
            first.Get("crashed-session")!.EndedAt.Should().BeNull();
        }

        using (var afterCrash = new SqliteRecordingIndex(IndexPath))
        {
            var catalog = new RecordingCatalog(_store, afterCrash, _time, NullLogger<RecordingCatalog>.Instance);
            (await catalog.RepairAsync(cts.Token)).Should().Be(1);
            var crashed = afterCrash.Get("crashed-session")!;
            crashed.EndReason.Should().Be(RecordingIndexEntry.CrashedReason);
            crashed.EndedAt.Should().NotBeNull();
            crashed.ExitCode.Should().BeNull();
        }

        File.Delete(IndexPath);
        using var rebuilt = new SqliteRecordingIndex(IndexPath);
        var fresh = new RecordingCatalog(_store, rebuilt, _time, NullLogger<RecordingCatalog>.Instance);
        (await fresh.RepairAsync(cts.Token)).Should().Be(2);
        var finished = rebuilt.Get("finished-session")!;
        finished.ExitCode.Should().Be(5);
        finished.EndReason.Should().Be("Exited");
        finished.Counts.Should().Be(new RecordingCounts(1, 0, 1, 0, 0));
        finished.Subject.Should().Be("agent-of-finished-session");
        rebuilt.Get("crashed-session")!.EndReason.Should().Be(RecordingIndexEntry.CrashedReason);
    }

    [Fact]
    public async Task A_sealed_recording_leaves_its_seal_in_the_index_as_the_verifier_finds_it_in_the_file()
    {
        using var index = new SqliteRecordingIndex(IndexPath);
        var catalog = new RecordingCatalog(_store, index, _time, NullLogger<RecordingCatalog>.Instance);

        var path = await RecordSessionAsync(catalog, "sealed-session", 0);

        var seal = index.Get("sealed-session")!.Seal;
        seal.Should().NotBeNull();
        await using var file = File.OpenRead(path);
        var verified = RecordingVerifier.Verify(file, _store.PublicKeyPem);
        seal!.RecordCount.Should().Be(verified.VerifiedRecords);
        seal.ChainHash.Should().Be(Convert.ToHexStringLower(verified.VerifiedChainHash.Span));
        seal.SizeBytes.Should().Be(new FileInfo(path).Length);
    }

    [Fact]
    public async Task A_recording_deleted_behind_the_brokers_back_keeps_its_row_marked_missing_after_a_restart()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string path;
        using (var before = new SqliteRecordingIndex(IndexPath))
        {
            path = await RecordSessionAsync(new RecordingCatalog(_store, before, _time, NullLogger<RecordingCatalog>.Instance), "deleted-session", 0);
        }

        File.Delete(path);
        _time.Advance(TimeSpan.FromMinutes(5));
        using var after = new SqliteRecordingIndex(IndexPath);
        var catalog = new RecordingCatalog(_store, after, _time, NullLogger<RecordingCatalog>.Instance);

        (await catalog.RepairAsync(cts.Token)).Should().Be(1);
        var row = after.Get("deleted-session")!;
        row.MissingSince.Should().Be(_time.GetUtcNow());
        row.Seal.Should().NotBeNull("what the recording was stays known");
        (await catalog.RepairAsync(cts.Token)).Should().Be(0, "a missing row is marked once, and kept");
        after.Get("deleted-session")!.MissingSince.Should().Be(row.MissingSince);
    }

    [Fact]
    public async Task A_rebuilt_index_does_not_take_another_sessions_recording_under_a_sessions_name()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string victim;
        using (var first = new SqliteRecordingIndex(IndexPath))
        {
            var catalog = new RecordingCatalog(_store, first, _time, NullLogger<RecordingCatalog>.Instance);
            var other = await RecordSessionAsync(catalog, "other-session", 0);
            victim = await RecordSessionAsync(catalog, "victim-session", 0);
            await catalog.WhenClosedAsync().WaitAsync(cts.Token);
            File.Copy(other, victim, overwrite: true);
        }

        File.Delete(IndexPath);
        using var rebuilt = new SqliteRecordingIndex(IndexPath);
        (await new RecordingCatalog(_store, rebuilt, _time, NullLogger<RecordingCatalog>.Instance).RepairAsync(cts.Token)).Should().Be(1);
        rebuilt.Get("other-session").Should().NotBeNull();
        rebuilt.Get("other-session")!.Location.Should().NotBe(victim);
        rebuilt.Get("victim-session").Should().BeNull("the file under its name records another session");
    }

    public void Dispose()
    {
        _store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private RecordingHeader Header(string id) => new()
    {
        SessionId = id,
        Subject = "agent-of-" + id,
        Issuer = "test",
        Target = "local",
        Kind = "exec",
        StartedAt = _time.GetUtcNow(),
    };

    private async Task<string> RecordSessionAsync(RecordingCatalog catalog, string id, int exitCode)
    {
        var journal = catalog.OpenJournal(Header(id), NullLogger.Instance);
        journal.ExecCommand(new CommandRecord { Text = "rm -rf /", Decision = "deny" });
        journal.Output(OutputChannel.Stdout, "output"u8);
        journal.Ended(new SessionEvent.Ended(exitCode, 0, SessionEndReason.Exited));
        await journal.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return journal.Path;
    }
}
