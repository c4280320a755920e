using Broker.Policy;
using static Broker.Approvals.Tests.ApprovalTestBed;

namespace Broker.Approvals.Tests;

/// <summary>An approval lets exactly its command run, on its target under its role and policy, once.</summary>
public sealed class BindingAndConsumeTests : IDisposable
{
    private readonly ApprovalTestBed _bed = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task An_approval_for_rm_a_does_not_let_rm_b_or_rm_a_elsewhere_run()
    {
        var request = await ApprovedAsync(Spec(command: "rm a"));

        foreach (var other in new[] { Spec(command: "rm b"), Spec(command: "rm a ", target: "local"), Spec(target: "prod"), Spec(role: "admin"), Spec(policy: "policy-v2") })
        {
            var result = await _bed.Coordinator.TryConsumeAsync(other.Requester, other.Binding, Verdict.Review, Ct);
            result.Succeeded.Should().BeFalse($"'{other.Command}' on {other.Target} as {other.Role} under {other.PolicyVersion} is another command");
        }

        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Approved);
        (await _bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, Verdict.Review, Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task Another_requester_cannot_use_the_approval()
    {
        var request = await ApprovedAsync(Spec(requester: "agent-1"));

        var result = await _bed.Coordinator.TryConsumeAsync(new ApprovalParty(Issuer, "agent-2"), request.Binding, Verdict.Review, Ct);

        result.Succeeded.Should().BeFalse();
        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Approved);
    }

    [Fact]
    public async Task An_approval_is_consumed_once_and_a_second_run_asks_again()
    {
        var request = await ApprovedAsync(Spec());

        var first = await _bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, Verdict.Review, Ct);
        var second = await _bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, Verdict.Review, Ct);

        first.Succeeded.Should().BeTrue();
        first.Request!.State.Should().Be(ApprovalState.Executed);
        first.Request.ExecutedAt.Should().Be(_bed.Time.GetUtcNow());
        second.Succeeded.Should().BeFalse();
        (await _bed.Coordinator.FindPendingAsync(request.Requester, request.Binding, Ct)).Should().BeNull("a second run makes a new request");
    }

    [Theory]
    [InlineData(Verdict.Deny)]
    [InlineData(Verdict.Allow)]
    public async Task A_policy_that_no_longer_says_review_wins_over_the_approval(Verdict now)
    {
        var request = await ApprovedAsync(Spec());

        var result = await _bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, now, Ct);

        result.Succeeded.Should().BeFalse();
        (await _bed.Coordinator.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Approved, "nothing ran on it");
    }

    [Fact]
    public void The_binding_separates_its_parts()
    {
        CommandBinding.Compute("rm a", "b", "r", "p").Should().NotBe(CommandBinding.Compute("rm", "a b", "r", "p"));
        CommandBinding.Compute("rm a", "local", "agent", "p").Should().Be(CommandBinding.Compute("rm a", "local", "agent", "p"));
    }

    [Fact]
    public async Task Two_approvers_at_the_same_instant_give_one_outcome_recorded_once()
    {
        for (var round = 0; round < 20; round++)
        {
            var request = await _bed.Coordinator.RequestAsync(Spec(command: $"rm f{round}"), Ct);
            using var start = new Barrier(2);
            var decisions = await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(Ct); return _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct); }, Ct),
                Task.Run(() => { start.SignalAndWait(Ct); return _bed.Coordinator.DenyAsync(request.Id, Caller("op-2", ["operators"]), "no", Ct); }, Ct));

            decisions.Count(d => d.Succeeded).Should().Be(1, "the first decision ends a quorum-of-one request; the other finds it decided");
            var stored = await _bed.Coordinator.GetAsync(request.Id, Ct);
            stored!.Decisions.Should().ContainSingle();
            stored.State.Should().Be(stored.Decisions[0].Approved ? ApprovalState.Approved : ApprovalState.Denied);
        }
    }

    [Fact]
    public async Task Two_concurrent_approvals_of_a_quorum_of_two_are_both_counted()
    {
        var request = await _bed.Coordinator.RequestAsync(Spec(requirements: Requirements(quorum: 2)), Ct);
        using var start = new Barrier(2);

        await Task.WhenAll(
            Task.Run(() => { start.SignalAndWait(Ct); return _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct); }, Ct),
            Task.Run(() => { start.SignalAndWait(Ct); return _bed.Coordinator.ApproveAsync(request.Id, Caller("op-2", ["operators"]), null, Ct); }, Ct));

        var stored = await _bed.Coordinator.GetAsync(request.Id, Ct);
        stored!.State.Should().Be(ApprovalState.Approved);
        stored.Decisions.Select(d => d.Approver.Subject).Should().BeEquivalentTo(["op-1", "op-2"]);
    }

    [Fact]
    public async Task Two_runs_of_the_same_approved_command_at_once_run_exactly_once()
    {
        for (var round = 0; round < 20; round++)
        {
            var request = await ApprovedAsync(Spec(command: $"rm g{round}"));
            using var start = new Barrier(4);
            var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(
                () => { start.SignalAndWait(Ct); return _bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, Verdict.Review, Ct); }, Ct)));

            runs.Count(r => r.Succeeded).Should().Be(1);
        }
    }

    [Fact]
    public async Task Every_change_is_announced_once_to_listeners_and_watchers()
    {
        var listener = new RecordingListener();
        using var bed = new ApprovalTestBed(listener);
        using var watch = bed.Coordinator.Feed.Subscribe();
        var request = await bed.Coordinator.RequestAsync(Spec(requirements: Requirements(quorum: 2)), Ct);
        await bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);
        await bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);
        await bed.Coordinator.ApproveAsync(request.Id, Caller("op-2", ["operators"]), null, Ct);
        await bed.Coordinator.TryConsumeAsync(request.Requester, request.Binding, Verdict.Review, Ct);

        listener.Kinds.Should().Equal(ApprovalEventKind.Requested, ApprovalEventKind.ApprovalCounted, ApprovalEventKind.Approved, ApprovalEventKind.Executed);
        var watched = new List<ApprovalEventKind>();
        while (watch.Events.TryRead(out var e))
        {
            watched.Add(e.Kind);
        }

        watched.Should().Equal(listener.Kinds);
    }

    [Fact]
    public async Task A_watcher_that_falls_behind_is_ended_not_buffered_without_bound()
    {
        var feed = new ApprovalFeed(capacity: 2);
        using var watch = feed.Subscribe();
        var request = await _bed.Coordinator.RequestAsync(Spec(), Ct);

        for (var i = 0; i < 3; i++)
        {
            feed.Publish(new ApprovalEvent(ApprovalEventKind.Requested, request));
        }

        var read = 0;
        var act = async () =>
        {
            await foreach (var _ in watch.Events.ReadAllAsync(Ct))
            {
                read++;
            }
        };
        await act.Should().ThrowAsync<ApprovalFeedOverflowException>();
        read.Should().Be(2);
    }

    public void Dispose()
    {
        _bed.Dispose();
        _timeout.Dispose();
    }

    private async Task<ApprovalRequest> ApprovedAsync(ApprovalSpec spec)
    {
        var request = await _bed.Coordinator.RequestAsync(spec, Ct);
        var result = await _bed.Coordinator.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct);
        result.Request!.State.Should().Be(ApprovalState.Approved);
        return result.Request;
    }

    private sealed class RecordingListener : IApprovalListener
    {
        private readonly List<ApprovalEventKind> _kinds = [];

        public List<ApprovalEventKind> Kinds
        {
            get
            {
                lock (_kinds)
                {
                    return [.. _kinds];
                }
            }
        }

        public void OnApprovalEvent(ApprovalEvent approvalEvent)
        {
            lock (_kinds)
            {
                _kinds.Add(approvalEvent.Kind);
            }
        }
    }
}
