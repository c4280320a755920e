using Broker.Server.Recording;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>
/// The started rows written behind a session's path: whoever reads through the index sees every row upserted before the
/// read, a removal is never undone by a row queued before it, a row with an end is in the database file when its upsert
/// returns, and nothing queued is lost at shutdown. The background write is held back (its work item kept, not run) where a test needs
/// the queue to still hold a row.
/// </summary>
public sealed class QueuedRecordingIndexTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("queued-index-").FullName;
    private readonly List<Action> _held = [];

    private string DatabasePath => Path.Combine(_directory, SqliteRecordingIndex.FileName);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Every_read_sees_a_row_upserted_before_it_while_the_background_write_has_not_run()
    {
        using var index = Held();
        var started = Row("s-1", ended: false);
        index.Upsert(started);
        _held.Should().ContainSingle("the write was handed off, not done on the caller's thread");
        Written("s-1").Should().BeNull("nothing was written yet");

        index.Get("s-1").Should().Be(started);
        index.Upsert(Row("s-2", ended: true));
        index.List(new RecordingQuery()).Select(r => r.SessionId).Should().Equal("s-2", "s-1");
        index.Upsert(Row("s-3", ended: false));
        index.Unended().Select(r => r.SessionId).Should().BeEquivalentTo(["s-1", "s-3"]);
        index.Upsert(Row("s-4", ended: true));
        index.EndedBefore(Start.AddDays(1)).Select(r => r.SessionId).Should().BeEquivalentTo(["s-2", "s-4"]);
        index.Upsert(Row("s-5", ended: true));
        index.SessionIds().Should().BeEquivalentTo(["s-1", "s-2", "s-3", "s-4", "s-5"]);
    }

    [Fact]
    public void A_row_queued_before_a_removal_does_not_come_back_after_it()
    {
        using var index = Held();
        index.Upsert(Row("s-1", ended: false));

        index.Remove("s-1");
        RunHeld();

        index.Get("s-1").Should().BeNull();
        Written("s-1").Should().BeNull();
    }

    [Fact]
    public void A_row_with_an_end_is_in_the_database_file_when_its_upsert_returns_after_the_started_row_queued_before_it()
    {
        using var index = Held();
        index.Upsert(Row("s-1", ended: false));
        index.Upsert(Row("s-2", ended: false));
        var ended = Row("s-1", ended: true);

        index.Upsert(ended);

        // replay verify on the data directory reads the file itself, right after the exit status: the seal is there.
        Written("s-1").Should().Be(ended);
        Written("s-2").Should().Be(Row("s-2", ended: false), "what was queued before the ended row is written with it");
        RunHeld();
        Written("s-1").Should().Be(ended, "the started row queued before it does not land after it");
    }

    [Fact]
    public void An_ended_row_takes_the_place_of_its_own_started_row_still_queued_so_the_end_writes_once()
    {
        var writes = new List<string>();
        using var index = new QueuedRecordingIndex(new WriteLog(new SqliteRecordingIndex(DatabasePath), writes), NullLogger.Instance, _held.Add);
        index.Upsert(Row("s-1", ended: false));
        index.Upsert(Row("s-2", ended: false));

        index.Upsert(Row("s-1", ended: true));
        RunHeld();

        writes.Should().Equal(["s-2", "s-1"], "s-1's started row was never written: its ended row replaced it");
        Written("s-1").Should().Be(Row("s-1", ended: true));
    }

    [Fact]
    public async Task The_background_write_puts_the_row_in_the_database_without_any_read()
    {
        using var index = new QueuedRecordingIndex(new SqliteRecordingIndex(DatabasePath), NullLogger.Instance);
        var started = Row("s-1", ended: false);

        index.Upsert(started);

        // Read past the queue, straight from the database file, as a restarted broker would.
        var deadline = DateTime.UtcNow + Timeout;
        while (Written("s-1") is null)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the thread pool writes the queue");
            await Task.Delay(5);
        }

        Written("s-1").Should().Be(started);
    }

    [Fact]
    public void Shutting_down_writes_what_is_still_queued()
    {
        var index = Held();
        var started = Row("s-1", ended: false);
        index.Upsert(started);

        index.Dispose();

        Written("s-1").Should().Be(started);
    }

    private QueuedRecordingIndex Held() => new(new SqliteRecordingIndex(DatabasePath), NullLogger.Instance, _held.Add);

    private void RunHeld()
    {
        foreach (var work in _held.ToList())
        {
            work();
        }
    }

    /// <summary>The row as the database file holds it, read through an index of its own (no queue).</summary>
    private RecordingIndexEntry? Written(string sessionId)
    {
        using var direct = new SqliteRecordingIndex(DatabasePath);
        return direct.Get(sessionId);
    }

    /// <summary>The index written to, with the session of every row written logged in order.</summary>
    private sealed class WriteLog(IRecordingIndex inner, List<string> writes) : IRecordingIndex, IDisposable
    {
        public void Upsert(RecordingIndexEntry entry)
        {
            writes.Add(entry.SessionId);
            inner.Upsert(entry);
        }

        public RecordingIndexEntry? Get(string sessionId) => inner.Get(sessionId);

        public IReadOnlyList<RecordingIndexEntry> List(RecordingQuery query) => inner.List(query);

        public IReadOnlyList<RecordingIndexEntry> EndedBefore(DateTimeOffset cutoff) => inner.EndedBefore(cutoff);

        public IReadOnlyList<RecordingIndexEntry> Unended() => inner.Unended();

        public IReadOnlySet<string> SessionIds() => inner.SessionIds();

        public void Remove(string sessionId) => inner.Remove(sessionId);

        public void Dispose() => (inner as IDisposable)?.Dispose();
    }

    private static RecordingIndexEntry Row(string id, bool ended) => new()
    {
        SessionId = id,
        Location = $"/data/recordings/2026-03-01/{id}.brkrec",
        Issuer = "https://issuer.example",
        Subject = "agent-1",
        Target = "local",
        Kind = "exec",
        StartedAt = Start.AddMinutes(id[^1] - '0'),
        EndedAt = ended ? Start.AddMinutes(30) : null,
        SizeBytes = ended ? 4096 : 0,
        ExitCode = ended ? 0 : null,
        EndReason = ended ? "Exited" : null,
        Counts = ended ? new RecordingCounts(1, 1, 0, 0, 0) : RecordingCounts.None,
        Seal = ended ? new IndexedSeal(9, new string('f', 64), 4096) : null,
    };
}
