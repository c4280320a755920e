using static Broker.Approvals.Tests.ApprovalTestBed;

namespace Broker.Approvals.Tests;

/// <summary>Requests survive a restart: pending ones whose session is gone are withdrawn, decided ones and their history stay.</summary>
public sealed class StoreRestartTests : IDisposable
{
    private readonly ApprovalTestBed _bed = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_request_is_on_disk_when_RequestAsync_returns()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(command: "rm -r 'a b' \u202e"), Ct);

        using var other = new SqliteApprovalStore(_bed.DatabasePath);
        var stored = await other.GetAsync(request.Id, Ct);

        stored.Should().BeEquivalentTo(request);
    }

    [Fact]
    public async Task After_a_restart_pending_requests_of_dead_sessions_are_withdrawn_and_decided_ones_are_intact()
    {
        var orphan = await _bed.Coordinator.RequestAsync(Spec(command: "rm orphan", session: "s-dead"), Ct);
        var living = await _bed.Coordinator.RequestAsync(Spec(command: "rm living", session: "s-alive"), Ct);
        var approved = await _bed.Coordinator.RequestAsync(Spec(command: "rm approved", session: "s-dead", requirements: Requirements(quorum: 2)), Ct);
        await _bed.Coordinator.ApproveAsync(approved.Id, Caller("op-1", ["operators"]), "ok", Ct);
        await _bed.Coordinator.ApproveAsync(approved.Id, Caller("op-2", ["operators"]), null, Ct);
        var denied = await _bed.Coordinator.RequestAsync(Spec(command: "rm denied", session: "s-dead"), Ct);
        await _bed.Coordinator.DenyAsync(denied.Id, Caller("op-1", ["operators"]), "no", Ct);
        var approvedBefore = await _bed.Coordinator.GetAsync(approved.Id, Ct);
        var deniedBefore = await _bed.Coordinator.GetAsync(denied.Id, Ct);

        _bed.Reopen();
        var withdrawn = await _bed.Coordinator.RecoverAsync(session => session == "s-alive", Ct);

        withdrawn.Should().Be(1);
        var orphanAfter = await _bed.Coordinator.GetAsync(orphan.Id, Ct);
        orphanAfter!.State.Should().Be(ApprovalState.Withdrawn);
        orphanAfter.StateReason.Should().Contain("session ended");
        (await _bed.Coordinator.GetAsync(living.Id, Ct))!.State.Should().Be(ApprovalState.Pending);
        (await _bed.Coordinator.GetAsync(approved.Id, Ct)).Should().BeEquivalentTo(approvedBefore);
        (await _bed.Coordinator.GetAsync(denied.Id, Ct)).Should().BeEquivalentTo(deniedBefore);
    }

    [Fact]
    public async Task Lists_filter_by_state_target_and_requester_newest_first()
    {
        var first = await _bed.Coordinator.RequestAsync(Spec(command: "rm 1", requester: "agent-1", target: "local"), Ct);
        _bed.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await _bed.Coordinator.RequestAsync(Spec(command: "rm 2", requester: "agent-2", target: "prod"), Ct);
        _bed.Time.Advance(TimeSpan.FromSeconds(1));
        var third = await _bed.Coordinator.RequestAsync(Spec(command: "rm 3", requester: "agent-1", target: "prod"), Ct);
        await _bed.Coordinator.DenyAsync(third.Id, Caller("op-1", ["operators"]), "no", Ct);

        (await _bed.Coordinator.ListAsync(new ApprovalQuery(), Ct)).Select(r => r.Id).Should().Equal(third.Id, second.Id, first.Id);
        (await _bed.Coordinator.ListAsync(new ApprovalQuery { States = [ApprovalState.Pending] }, Ct)).Select(r => r.Id).Should().Equal(second.Id, first.Id);
        (await _bed.Coordinator.ListAsync(new ApprovalQuery { Target = "prod" }, Ct)).Select(r => r.Id).Should().Equal(third.Id, second.Id);
        (await _bed.Coordinator.ListAsync(new ApprovalQuery { RequesterSubject = "agent-1", Limit = 1 }, Ct)).Select(r => r.Id).Should().Equal(third.Id);
    }

    [Fact]
    public async Task A_replace_at_a_stale_version_changes_nothing()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(), Ct);
        var changed = request with { State = ApprovalState.Withdrawn, Version = 1 };

        (await _bed.Store.TryReplaceAsync(changed, 0, Ct)).Should().BeTrue();
        (await _bed.Store.TryReplaceAsync(request with { State = ApprovalState.Approved, Version = 1 }, 0, Ct)).Should().BeFalse();
        (await _bed.Store.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Withdrawn);
    }

    public void Dispose()
    {
        _bed.Dispose();
        _timeout.Dispose();
    }
}
