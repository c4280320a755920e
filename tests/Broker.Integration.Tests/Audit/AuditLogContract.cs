using Broker.Server.Audit;

namespace Broker.Integration.Tests.Audit;

/// <summary>
/// What every audit log must do, run against each store (SQLite in the data directory, PostgreSQL shared by replicas):
/// events read back exactly as written, oldest first, filtered and paged alike; retention deletes only the old ones.
/// </summary>
public abstract class AuditLogContract : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    protected CancellationToken Ct => _timeout.Token;

    private protected IAuditLog Log { get; private set; } = null!;

    public async Task InitializeAsync() => Log = await OpenAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _timeout.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new, empty log.</summary>
    private protected abstract Task<IAuditLog> OpenAsync();

    /// <summary>A second log over the same data (another replica, or the same broker restarted).</summary>
    private protected abstract IAuditLog OpenOther();

    private protected static AuditEvent Event(int second, AuditEventKind kind = AuditEventKind.CommandDecided, string session = "s-1", string subject = "agent-1", string decision = "allow", string replica = "replica-a") => new()
    {
        At = Start.AddSeconds(second),
        Replica = replica,
        Kind = kind,
        SessionId = session,
        ActorIssuer = "https://issuer.example",
        ActorSubject = subject,
        Decision = decision,
        Fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["sequence"] = second.ToString(System.Globalization.CultureInfo.InvariantCulture), ["text"] = "ls" },
    };

    [Fact]
    public async Task An_event_reads_back_exactly_as_written_whatever_its_text_from_another_connection()
    {
        var written = Event(0) with
        {
            ActorSubject = "agent 'a' \"b\" \u202e 日本語 Ω",
            SessionId = "s-1; DROP TABLE audit_events; --",
            Fields = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["text"] = "echo '\u001b]52;c;aGk=\u0007' \"$(id)\" \\ \n\t done",
                ["empty"] = string.Empty,
                ["quote\"key"] = "{\"json\": [1, 2]}",
            },
        };

        await Log.AppendAsync([written], Ct);

        var read = (await OpenOther().ListAsync(new AuditQuery(), Ct)).Should().ContainSingle().Subject;
        read.Id.Should().BePositive();
        read.Should().BeEquivalentTo(written, o => o.Excluding(e => e.Id));
    }

    [Fact]
    public async Task Events_list_oldest_first_with_the_id_ordering_one_millisecond_and_page_after_a_cursor()
    {
        await Log.AppendAsync([Event(2, session: "late"), Event(1, session: "first"), Event(1, session: "second")], Ct);
        await Log.AppendAsync([Event(0, session: "earliest")], Ct);

        var all = await Log.ListAsync(new AuditQuery(), Ct);
        all.Select(e => e.SessionId).Should().Equal("earliest", "first", "second", "late");

        var page = await Log.ListAsync(new AuditQuery { Limit = 2 }, Ct);
        page.Select(e => e.SessionId).Should().Equal("earliest", "first");
        var next = await Log.ListAsync(new AuditQuery { Limit = 2, After = (page[^1].At, page[^1].Id) }, Ct);
        next.Select(e => e.SessionId).Should().Equal("second", "late");
    }

    [Fact]
    public async Task Filters_select_by_time_session_subject_kind_and_decision_together()
    {
        await Log.AppendAsync(
        [
            Event(0, AuditEventKind.SessionOpened, decision: ""),
            Event(1, decision: "deny"),
            Event(2, decision: "allow"),
            Event(3, decision: "deny", session: "s-2"),
            Event(4, decision: "deny", subject: "agent-2"),
            Event(5, AuditEventKind.ApprovalDecided, decision: "deny"),
        ], Ct);

        (await Log.ListAsync(new AuditQuery { Decision = "deny", Kind = AuditEventKind.CommandDecided, SessionId = "s-1", Subject = "agent-1" }, Ct))
            .Select(e => e.At.Second).Should().Equal(1);
        (await Log.ListAsync(new AuditQuery { Since = Start.AddSeconds(2), Until = Start.AddSeconds(5) }, Ct))
            .Select(e => e.At.Second).Should().Equal(2, 3, 4);
        (await Log.ListAsync(new AuditQuery { Kind = AuditEventKind.SessionOpened }, Ct)).Should().ContainSingle();
        (await Log.ListAsync(new AuditQuery { SessionId = "nobody" }, Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task Retention_deletes_only_the_events_before_the_cutoff()
    {
        await Log.AppendAsync([Event(0), Event(10), Event(20)], Ct);

        (await Log.DeleteBeforeAsync(Start.AddSeconds(10), Ct)).Should().Be(1);

        (await Log.ListAsync(new AuditQuery(), Ct)).Select(e => e.At.Second).Should().Equal(10, 20);
    }
}
