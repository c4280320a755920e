using Broker.Approvals;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using ApprovalState = Broker.Approvals.ApprovalState;
using RecordedApprovalKind = Recorder.ApprovalEventKind;

namespace Broker.Integration.Tests.Approvals;

/// <summary>
/// Commands the dev policy holds for review (<c>touch</c>, <c>tee</c>: file-changes), through a real broker, real gRPC
/// and real processes: the agent is told at once that its command is held, an operator (another identity) decides,
/// and the effect on the file system says whether the command ran.
/// </summary>
public sealed class HeldExecTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly BrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly SessionScratch _scratch = new("held-exec-");

    public HeldExecTests(BrokerFixture broker) => _broker = broker;

    private CancellationToken Ct => _timeout.Token;

    private ApprovalCoordinator Coordinator => _broker.Services.GetRequiredService<ApprovalCoordinator>();

    [Fact]
    public async Task A_held_command_approved_by_an_operator_runs_once_and_the_recording_says_who_approved()
    {
        var file = _scratch.File("approved");
        using var call = await HeldExecCall.StartAsync(Agent("agent-held"), ["touch", file], noWait: false, null, Ct);

        var held = await call.Held.WaitAsync(Ct);
        held.ApprovalId.Should().StartWith("apr-");
        held.Approvers.Groups.Should().Equal("operators");
        File.Exists(file).Should().BeFalse("nothing runs before the approval");
        var request = await Coordinator.GetAsync(held.ApprovalId, Ct);
        request!.State.Should().Be(ApprovalState.Pending, "the request is stored before the agent hears it is held");
        await Operator("op-yes").ApproveRequestAsync(new ApproveRequestRequest { Id = held.ApprovalId, Reason = "fine" }, cancellationToken: Ct);

        var outcome = await call.Completion.WaitAsync(Ct);
        outcome.Exit!.Code.Should().Be(0);
        outcome.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Allow);
        outcome.Decisions[1].Reason.Should().Contain("approved by op-yes");
        File.Exists(file).Should().BeTrue();
        (await Coordinator.GetAsync(held.ApprovalId, Ct))!.State.Should().Be(ApprovalState.Executed);

        var steps = (await SealedRecording.ReadAsync(_broker, request.SessionId)).OfType<Recorder.ApprovalEvent>().Select(e => e.Approval).ToList();
        steps.Select(s => s.Kind).Should().Equal(RecordedApprovalKind.Requested, RecordedApprovalKind.Decided, RecordedApprovalKind.Executed);
        steps[1].Approver.Should().Contain("op-yes");
        steps[1].Decision.Should().Be("approve");
    }

    [Fact]
    public async Task A_denied_command_never_runs_and_ends_with_126()
    {
        var file = _scratch.File("denied");
        using var call = await HeldExecCall.StartAsync(Agent("agent-denied"), ["touch", file], noWait: false, null, Ct);
        var held = await call.Held.WaitAsync(Ct);

        await Operator("op-no").DenyRequestAsync(new DenyRequestRequest { Id = held.ApprovalId, Reason = "not on a friday" }, cancellationToken: Ct);

        var outcome = await call.Completion.WaitAsync(Ct);
        outcome.Exit!.Code.Should().Be(126);
        outcome.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Deny);
        outcome.Decisions[1].Reason.Should().Contain("op-no").And.Contain("not on a friday");
        File.Exists(file).Should().BeFalse();
    }

    [Fact]
    public async Task A_client_that_leaves_while_held_withdraws_its_request()
    {
        var file = _scratch.File("left");
        using var call = await HeldExecCall.StartAsync(Agent("agent-leaves"), ["touch", file], noWait: false, null, Ct);
        var held = await call.Held.WaitAsync(Ct);

        await call.CancelAsync();

        await Eventually(async () => (await Coordinator.GetAsync(held.ApprovalId, Ct))!.State == ApprovalState.Withdrawn);
        var late = await FluentActions.Awaiting(() => Operator("op-late").ApproveRequestAsync(new ApproveRequestRequest { Id = held.ApprovalId }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<Grpc.Core.RpcException>();
        late.Which.StatusCode.Should().Be(Grpc.Core.StatusCode.FailedPrecondition);
        File.Exists(file).Should().BeFalse();
    }

    [Fact]
    public async Task Return_mode_ends_with_75_and_the_identical_command_then_runs_once_while_another_is_asked_anew()
    {
        var (a, b) = (_scratch.File("bound-a"), _scratch.File("bound-b"));
        var agent = Agent("agent-binding");

        var first = await HeldExecCall.RunAsync(agent, ["touch", a], noWait: true, Ct);
        first.Exit!.Code.Should().Be(75);
        first.Exit.Reason.Should().Be(ExitReason.ApprovalPending);
        first.Stderr.Should().Contain(first.Held!.ApprovalId);
        await Operator("op-binding").ApproveRequestAsync(new ApproveRequestRequest { Id = first.Held.ApprovalId }, cancellationToken: Ct);

        var other = await HeldExecCall.RunAsync(agent, ["touch", b], noWait: true, Ct);
        other.Exit!.Code.Should().Be(75, "an approval of 'touch a' does not let 'touch b' run");
        other.Held!.ApprovalId.Should().NotBe(first.Held.ApprovalId);
        File.Exists(b).Should().BeFalse();
        var byAnother = await HeldExecCall.RunAsync(Agent("agent-someone-else"), ["touch", a], noWait: true, Ct);
        byAnother.Exit!.Code.Should().Be(75, "an approval is the requester's only");

        var same = await HeldExecCall.RunAsync(agent, ["touch", a], noWait: true, Ct);
        same.Exit!.Code.Should().Be(0);
        same.Held.Should().BeNull("an approved command is not held again");
        File.Exists(a).Should().BeTrue();

        var again = await HeldExecCall.RunAsync(agent, ["touch", a], noWait: true, Ct);
        again.Exit!.Code.Should().Be(75, "an approval is used once");
        again.Held!.ApprovalId.Should().NotBe(first.Held.ApprovalId);
    }

    [Fact]
    public async Task Two_runs_of_one_approved_command_at_once_run_it_exactly_once()
    {
        var file = _scratch.File("raced");
        var agent = Agent("agent-race");
        var first = await HeldExecCall.RunAsync(agent, ["tee", "-a", file], noWait: true, Ct);
        await Operator("op-race").ApproveRequestAsync(new ApproveRequestRequest { Id = first.Held!.ApprovalId }, cancellationToken: Ct);

        using var one = await HeldExecCall.StartAsync(agent, ["tee", "-a", file], noWait: true, "ran\n", Ct);
        using var two = await HeldExecCall.StartAsync(agent, ["tee", "-a", file], noWait: true, "ran\n", Ct);
        var outcomes = await Task.WhenAll(one.Completion, two.Completion).WaitAsync(Ct);

        outcomes.Select(o => o.Exit!.Code).Order().Should().Equal(0, 75);
        (await File.ReadAllTextAsync(file, Ct)).Should().Be("ran\n");
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _timeout.Dispose();
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private SessionService.SessionServiceClient Agent(string subject) => _broker.Client(_broker.Token(subject));

    private ApprovalService.ApprovalServiceClient Operator(string subject) => new(_broker.Channel(_broker.Token(subject, "operators")));
}
