using static Broker.Approvals.Tests.ApprovalTestBed;

namespace Broker.Approvals.Tests.Stores;

/// <summary>
/// What every approval store must do, run against each implementation (SQLite embedded, PostgreSQL for replicas):
/// a request reads back exactly as written, lists filter and order alike, and a change is a compare-and-swap.
/// </summary>
public abstract class ApprovalStoreContract : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    protected CancellationToken Ct => _timeout.Token;

    protected IApprovalStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await OpenAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _timeout.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new, empty store.</summary>
    protected abstract Task<IApprovalStore> OpenAsync();

    /// <summary>A second store over the same data (a restart, or another replica).</summary>
    protected abstract Task<IApprovalStore> OpenSameAsync();

    [Fact]
    public async Task A_request_reads_back_exactly_as_written_whatever_its_text()
    {
        // Quotes, a right-to-left override, a NUL-free control character and non-Latin text: stored as given, never interpreted.
        var request = Request("r-1", "rm -r 'a b' \"$(x)\" \u202e; echo \u0007 日本語 Ω", decided: true);
        await Store.InsertAsync(request, Ct);

        var other = await OpenSameAsync();
        (await other.GetAsync("r-1", Ct)).Should().BeEquivalentTo(request);
        (await Store.GetAsync("r-missing", Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Lists_filter_by_state_target_requester_session_and_binding_newest_first()
    {
        var first = Request("r-1", "rm 1", target: "local", subject: "agent-1", created: 1);
        var second = Request("r-2", "rm 2", target: "prod", subject: "agent-2", created: 2);
        var third = Request("r-3", "rm 3", target: "prod", subject: "agent-1", created: 3, decided: true);
        foreach (var request in new[] { first, second, third })
        {
            await Store.InsertAsync(request, Ct);
        }

        (await Store.ListAsync(new ApprovalQuery(), Ct)).Select(r => r.Id).Should().Equal("r-3", "r-2", "r-1");
        (await Store.ListAsync(new ApprovalQuery { States = [ApprovalState.Pending] }, Ct)).Select(r => r.Id).Should().Equal("r-2", "r-1");
        (await Store.ListAsync(new ApprovalQuery { States = [ApprovalState.Pending, ApprovalState.Denied] }, Ct)).Select(r => r.Id).Should().Equal("r-3", "r-2", "r-1");
        (await Store.ListAsync(new ApprovalQuery { Target = "prod", RequesterSubject = "agent-1" }, Ct)).Select(r => r.Id).Should().Equal("r-3");
        (await Store.ListAsync(new ApprovalQuery { RequesterIssuer = "https://elsewhere.test" }, Ct)).Should().BeEmpty();
        (await Store.ListAsync(new ApprovalQuery { SessionId = "s-r-2" }, Ct)).Select(r => r.Id).Should().Equal("r-2");
        (await Store.ListAsync(new ApprovalQuery { Binding = second.Binding }, Ct)).Select(r => r.Id).Should().Equal("r-2");
        (await Store.ListAsync(new ApprovalQuery { Limit = 2 }, Ct)).Select(r => r.Id).Should().Equal("r-3", "r-2");
    }

    [Fact]
    public async Task A_change_applies_only_at_the_version_it_was_read_at()
    {
        var request = Request("r-1", "rm a");
        await Store.InsertAsync(request, Ct);
        var denied = request with { State = ApprovalState.Denied, StateReason = "no", Version = request.Version + 1 };

        (await Store.TryReplaceAsync(denied, request.Version, Ct)).Should().BeTrue();
        (await Store.TryReplaceAsync(request with { State = ApprovalState.Approved, Version = request.Version + 1 }, request.Version, Ct)).Should().BeFalse();
        (await Store.TryReplaceAsync(denied with { Id = "r-missing" }, request.Version, Ct)).Should().BeFalse();

        (await Store.GetAsync("r-1", Ct)).Should().BeEquivalentTo(denied);
    }

    /// <summary>A request as the coordinator would store it, at a fixed time so that two runs compare equal.</summary>
    protected static ApprovalRequest Request(string id, string command, string target = "local", string subject = "agent-1", int created = 0, bool decided = false)
    {
        var spec = Spec(command: command, target: target, requester: subject, session: "s-" + id);
        var at = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero).AddSeconds(created);
        var request = new ApprovalRequest(spec with { AwsActions = ["s3:DeleteObject"] })
        {
            Id = id,
            CreatedAt = at,
            ExpiresAt = at.AddMinutes(15),
            Version = 1,
        };
        return decided
            ? request with
            {
                State = ApprovalState.Denied,
                StateReason = "not today",
                Decisions = [new ApprovalDecision(new ApprovalParty(Issuer, "op-1"), false, "not today", at.AddMinutes(1), ["operators"])],
                DecidedAt = at.AddMinutes(1),
                Version = 2,
            }
            : request;
    }
}
