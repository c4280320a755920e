using Broker.Policy;
using static Broker.Approvals.Tests.ApprovalTestBed;

namespace Broker.Approvals.Tests;

/// <summary>Who may decide, the quorum, and the states a request moves through, on a real store and fake time.</summary>
public sealed class ApprovalRulesTests : IDisposable
{
    private readonly ApprovalTestBed _bed = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_quorum_of_one_from_each_of_two_groups_needs_both_groups()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requirements: Requirements(eachGroup: true, groups: ["operators", "security"])), Ct);

        var first = await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);
        var second = await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-2", ["operators"]), "fine", Ct);
        second.Request!.State.Should().Be(ApprovalState.Pending, "two operators do not stand for the security group");

        var third = await _bed.Coordinator.ApproveAsync(request.Id, Caller("sec-1", ["security"]), null, Ct);

        first.Succeeded.Should().BeTrue();
        third.Request!.State.Should().Be(ApprovalState.Approved);
        third.Request.ExecuteBy.Should().Be(_bed.Time.GetUtcNow() + TimeSpan.FromMinutes(10));
        third.Request.Decisions.Select(d => d.Approver.Subject).Should().Equal("op-1", "op-2", "sec-1");
    }

    [Fact]
    public async Task One_person_in_both_groups_fills_only_one_of_them()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requirements: Requirements(eachGroup: true, groups: ["operators", "security"])), Ct);

        var result = await _bed.Coordinator.ApproveAsync(request.Id, Caller("both", ["operators", "security"]), null, Ct);

        result.Request!.State.Should().Be(ApprovalState.Pending);
        (await _bed.Coordinator.ApproveAsync(request.Id, Caller("sec-2", ["security"]), null, Ct)).Request!.State.Should().Be(ApprovalState.Approved);
    }

    [Fact]
    public async Task A_quorum_of_two_distinct_approvers_is_met_by_the_second()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requirements: Requirements(quorum: 2)), Ct);

        (await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct)).Request!.State.Should().Be(ApprovalState.Pending);
        (await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-2", ["operators"]), null, Ct)).Request!.State.Should().Be(ApprovalState.Approved);
    }

    [Fact]
    public async Task The_requester_cannot_approve_its_own_request_even_with_another_token_of_the_same_issuer_and_subject()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requester: "agent-1"), Ct);

        var result = await _bed.Coordinator.ApproveAsync(request.Id, Caller("agent-1", ["operators"], claims: new() { ["amr"] = ["mfa"] }), null, Ct);

        result.Refusal.Should().Be(ApprovalRefusal.NotAllowed);
        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.Decisions.Should().BeEmpty();
    }

    [Fact]
    public async Task The_same_subject_from_another_issuer_is_another_party()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requester: "alice"), Ct);

        var result = await _bed.Coordinator.ApproveAsync(request.Id, Caller("alice", ["operators"], issuer: "https://other-issuer.test"), null, Ct);

        result.Request!.State.Should().Be(ApprovalState.Approved);
    }

    [Fact]
    public async Task A_second_approval_by_the_same_approver_is_not_counted()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requirements: Requirements(quorum: 2)), Ct);
        await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);

        var again = await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);

        again.Succeeded.Should().BeFalse();
        var stored = await _bed.Coordinator.GetAsync(request.Id, Ct);
        stored!.State.Should().Be(ApprovalState.Pending);
        stored.Decisions.Should().ContainSingle();
    }

    [Fact]
    public async Task A_deny_after_one_approval_ends_the_request()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requirements: Requirements(quorum: 2)), Ct);
        await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);

        var denied = await _bed.Coordinator.DenyAsync(request.Id, Caller("op-2", ["operators"]), "not on a Friday", Ct);
        var late = await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-3", ["operators"]), null, Ct);

        denied.Request!.State.Should().Be(ApprovalState.Denied);
        denied.Request.StateReason.Should().Contain("not on a Friday");
        late.Refusal.Should().Be(ApprovalRefusal.WrongState);
        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Denied);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_deny_needs_a_reason(string? reason)
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(), Ct);

        var result = await _bed.Coordinator.DenyAsync(request.Id, Caller("op-1", ["operators"]), reason, Ct);

        result.Refusal.Should().Be(ApprovalRefusal.Invalid);
        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Pending);
    }

    [Fact]
    public async Task An_approver_without_the_required_claim_is_refused()
    {
        var requirements = Requirements(claims: new() { ["amr"] = ["mfa"] });
        var request = await _bed.Coordinator.RequestAsync(Spec(requirements: requirements), Ct);

        var machine = await _bed.Coordinator.ApproveAsync(request.Id, Caller("ci-bot", ["operators"], claims: new() { ["amr"] = ["pwd"] }), null, Ct);
        var person = await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"], claims: new() { ["amr"] = ["pwd", "mfa"] }), null, Ct);

        machine.Refusal.Should().Be(ApprovalRefusal.NotAllowed);
        machine.Message.Should().Contain("amr");
        person.Request!.State.Should().Be(ApprovalState.Approved);
        person.Request.Decisions.Should().ContainSingle().Which.Approver.Subject.Should().Be("op-1");
    }

    [Fact]
    public async Task Someone_outside_the_approver_groups_is_refused()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(), Ct);

        var result = await _bed.Coordinator.ApproveAsync(request.Id, Caller("dev", ["developers"]), null, Ct);

        result.Refusal.Should().Be(ApprovalRefusal.NotAllowed);
    }

    [Fact]
    public async Task Only_the_requester_may_withdraw()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requester: "agent-1"), Ct);

        var other = await _bed.Coordinator.WithdrawAsync(request.Id, new ApprovalParty(Issuer, "op-1"), null, Ct);
        var own = await _bed.Coordinator.WithdrawAsync(request.Id, new ApprovalParty(Issuer, "agent-1"), "typo", Ct);

        other.Refusal.Should().Be(ApprovalRefusal.NotAllowed);
        own.Request!.State.Should().Be(ApprovalState.Withdrawn);
    }

    [Fact]
    public async Task A_pending_request_expires_after_its_timeout_and_its_waiter_learns_it()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(), Ct);
        var waiting = _bed.Coordinator.WaitForOutcomeAsync(request.Id, Ct);

        _bed.Time.Advance(TimeSpan.FromMinutes(14));
        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Pending);
        _bed.Time.Advance(TimeSpan.FromMinutes(1));
        await _bed.Coordinator.ExpireDueAsync(Ct);

        var outcome = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        outcome!.State.Should().Be(ApprovalState.Expired);
        (await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct)).Refusal.Should().Be(ApprovalRefusal.WrongState);
        (await _bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, Verdict.Review, Ct)).Succeeded.Should().BeFalse("an expired request never runs");
    }

    [Fact]
    public async Task An_approval_not_used_within_its_execution_window_expires()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(), Ct);
        await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);

        _bed.Time.Advance(TimeSpan.FromMinutes(10));
        var consumed = await _bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, Verdict.Review, Ct);

        consumed.Succeeded.Should().BeFalse();
        var stored = await _bed.Coordinator.GetAsync(request.Id, Ct);
        stored!.State.Should().Be(ApprovalState.Expired);
        stored.StateReason.Should().Contain("execution window");
    }

    [Fact]
    public async Task Waiting_can_be_cancelled_without_touching_the_request()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(), Ct);
        using var cancel = new CancellationTokenSource();

        var waiting = _bed.Coordinator.WaitForOutcomeAsync(request.Id, cancel.Token);
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Pending);
    }

    public void Dispose()
    {
        _bed.Dispose();
        _timeout.Dispose();
    }
}
