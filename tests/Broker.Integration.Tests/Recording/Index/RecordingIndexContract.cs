using Broker.Server.Recording;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>
/// What every recording index must do, run against each implementation (SQLite in the data directory, PostgreSQL
/// shared by replicas): a row reads back exactly as written, an upsert replaces it, lists filter and order alike.
/// </summary>
public abstract class RecordingIndexContract : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    protected CancellationToken Ct => _timeout.Token;

    private protected IRecordingIndex Index { get; private set; } = null!;

    public async Task InitializeAsync() => Index = await OpenAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _timeout.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new, empty index.</summary>
    private protected abstract Task<IRecordingIndex> OpenAsync();

    /// <summary>A second index over the same data, as the same broker (a restart).</summary>
    private protected abstract IRecordingIndex OpenSame();

    private protected static RecordingIndexEntry Row(string id, int minute, string subject = "agent-1", string target = "local", RecordingCounts? counts = null, bool ended = true) => new()
    {
        SessionId = id,
        Location = $"/data/recordings/2026-03-01/{id}.brkrec",
        Issuer = "https://issuer.example",
        Subject = subject,
        Target = target,
        Kind = "exec",
        StartedAt = Start.AddMinutes(minute),
        EndedAt = ended ? Start.AddMinutes(minute + 1) : null,
        SizeBytes = ended ? 4096 : 0,
        ExitCode = ended ? 0 : null,
        EndReason = ended ? "Exited" : null,
        Counts = counts ?? RecordingCounts.None,
    };

    [Fact]
    public void A_row_reads_back_exactly_as_written_whatever_its_text()
    {
        var row = Row("s-1", 0, subject: "agent 'a' \"b\" \u202e 日本語 Ω") with
        {
            Target = "prod; DROP TABLE recordings; --",
            ExitCode = -9,
            EndReason = "Killed",
            SizeBytes = 5_000_000_000,
            Counts = new RecordingCounts(7, 3, 2, 1, 4),
            Seal = new IndexedSeal(12_345, new string('a', 64), 5_000_000_000),
            MissingSince = Start.AddDays(2),
        };
        Index.Upsert(row);

        OpenSame().Get("s-1").Should().Be(row);
        Index.Get("s-missing").Should().BeNull();
    }

    [Fact]
    public void An_upsert_replaces_the_row_of_a_session_that_ended()
    {
        var started = Row("s-1", 0, ended: false);
        Index.Upsert(started);
        Index.Unended().Select(r => r.SessionId).Should().Equal("s-1");

        var ended = Row("s-1", 0) with { Counts = new RecordingCounts(1, 1, 0, 0, 0), Seal = new IndexedSeal(9, new string('f', 64), 4096) };
        Index.Upsert(ended);

        Index.Get("s-1").Should().Be(ended);
        Index.Unended().Should().BeEmpty();
        Index.SessionIds().Should().BeEquivalentTo(["s-1"]);
    }

    [Fact]
    public void Lists_filter_by_subject_target_start_denials_and_approvals_newest_first()
    {
        Index.Upsert(Row("s-1", 1, subject: "agent-1", target: "local"));
        Index.Upsert(Row("s-2", 2, subject: "agent-2", target: "prod", counts: new RecordingCounts(2, 1, 1, 0, 0)));
        Index.Upsert(Row("s-3", 3, subject: "agent-1", target: "prod", counts: new RecordingCounts(1, 0, 0, 1, 0)));
        Index.Upsert(Row("s-4", 4, subject: "agent-1", target: "local", counts: new RecordingCounts(1, 1, 0, 0, 1)));
        // Same start as s-4: the session id breaks the tie, so pages are stable.
        Index.Upsert(Row("s-5", 4, subject: "agent-2", target: "local"));

        Ids(new RecordingQuery()).Should().Equal("s-5", "s-4", "s-3", "s-2", "s-1");
        Ids(new RecordingQuery { Limit = 2 }).Should().Equal("s-5", "s-4");
        Ids(new RecordingQuery { Subject = "agent-1" }).Should().Equal("s-4", "s-3", "s-1");
        Ids(new RecordingQuery { Target = "prod" }).Should().Equal("s-3", "s-2");
        Ids(new RecordingQuery { StartedFrom = Start.AddMinutes(2), StartedBefore = Start.AddMinutes(4) }).Should().Equal("s-3", "s-2");
        Ids(new RecordingQuery { HasDenied = true }).Should().Equal("s-2");
        Ids(new RecordingQuery { HasApproval = true }).Should().Equal("s-4", "s-3");
        Ids(new RecordingQuery { Subject = "agent-1", Target = "local", HasApproval = true }).Should().Equal("s-4");
        Ids(new RecordingQuery { Subject = "nobody" }).Should().BeEmpty();
    }

    [Fact]
    public void Retention_reads_ended_rows_started_before_the_cutoff_and_a_removed_row_is_gone()
    {
        Index.Upsert(Row("old", 1));
        Index.Upsert(Row("old-running", 2, ended: false));
        Index.Upsert(Row("recent", 10));

        Index.EndedBefore(Start.AddMinutes(5)).Select(r => r.SessionId).Should().Equal("old");

        Index.Remove("old");
        Index.Get("old").Should().BeNull();
        Index.SessionIds().Should().BeEquivalentTo(["old-running", "recent"]);
        Index.Remove("never-there");
        OpenSame().SessionIds().Should().BeEquivalentTo(["old-running", "recent"]);
    }

    private List<string> Ids(RecordingQuery query) => Index.List(query).Select(r => r.SessionId).ToList();
}
