using Broker.Approvals;
using Broker.Identity.Dev;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using ApprovalEventKind = Broker.Protocol.V1.ApprovalEventKind;
using ApprovalParty = Broker.Approvals.ApprovalParty;
using ApprovalState = Broker.Protocol.V1.ApprovalState;

namespace Broker.Integration.Tests.Approvals;

/// <summary>
/// ApprovalService through a real broker on a loopback port with several identities from the dev issuer: the
/// requesting agent, operators (the dev policy's approvers), an observer and an outsider. Requests are made through
/// the coordinator, as the session's policy gate will make them.
/// </summary>
public sealed class ApprovalServiceTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly BrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public ApprovalServiceTests(BrokerFixture broker) => _broker = broker;

    private CancellationToken Ct => _timeout.Token;

    private ApprovalCoordinator Coordinator => _broker.Services.GetRequiredService<ApprovalCoordinator>();

    [Fact]
    public async Task An_operator_approves_what_the_agent_itself_may_not()
    {
        var request = await HoldAsync("agent-own", "rm approve-me");
        var agent = Approvals("agent-own");

        var own = await FluentActions.Awaiting(() => agent.ApproveRequestAsync(new ApproveRequestRequest { Id = request.Id }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<RpcException>();
        own.Which.StatusCode.Should().Be(StatusCode.PermissionDenied);

        var approved = await Approvals("op-approver", "operators").ApproveRequestAsync(new ApproveRequestRequest { Id = request.Id, Reason = "looked at it" }, cancellationToken: Ct);

        approved.Approval.State.Should().Be(ApprovalState.Approved);
        approved.Approval.Decisions.Should().ContainSingle().Which.Approver.Subject.Should().Be("op-approver");
        var seenByAgent = await agent.GetApprovalAsync(new GetApprovalRequest { Id = request.Id }, cancellationToken: Ct);
        seenByAgent.Approval.State.Should().Be(ApprovalState.Approved);
        seenByAgent.Approval.Command.Should().Be("rm approve-me");
        (await Coordinator.TryConsumeAsync(request.Requester, request.Binding, Broker.Policy.Verdict.Review, Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task A_deny_needs_a_reason_and_ends_the_request()
    {
        var request = await HoldAsync("agent-denied", "rm deny-me");
        var operators = Approvals("op-denier", "operators");

        var bare = await FluentActions.Awaiting(() => operators.DenyRequestAsync(new DenyRequestRequest { Id = request.Id }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<RpcException>();
        bare.Which.StatusCode.Should().Be(StatusCode.InvalidArgument);

        var denied = await operators.DenyRequestAsync(new DenyRequestRequest { Id = request.Id, Reason = "not today" }, cancellationToken: Ct);
        denied.Approval.State.Should().Be(ApprovalState.Denied);

        var late = await FluentActions.Awaiting(() => Approvals("op-late", "operators").ApproveRequestAsync(new ApproveRequestRequest { Id = request.Id }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<RpcException>();
        late.Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);
    }

    [Fact]
    public async Task Someone_who_is_neither_requester_nor_approver_cannot_see_or_decide_a_request()
    {
        var request = await HoldAsync("agent-private", "rm private");
        var outsider = Approvals("outsider", "developers");

        var get = await FluentActions.Awaiting(() => outsider.GetApprovalAsync(new GetApprovalRequest { Id = request.Id }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<RpcException>();
        var approve = await FluentActions.Awaiting(() => outsider.ApproveRequestAsync(new ApproveRequestRequest { Id = request.Id }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<RpcException>();

        get.Which.StatusCode.Should().Be(StatusCode.NotFound);
        approve.Which.StatusCode.Should().Be(StatusCode.NotFound);
        (await outsider.ListApprovalsAsync(new ListApprovalsRequest(), cancellationToken: Ct)).Approvals.Should().NotContain(a => a.Id == request.Id);
        (await Approvals("auditor", "observers").GetApprovalAsync(new GetApprovalRequest { Id = request.Id }, cancellationToken: Ct)).Approval.Id.Should().Be(request.Id);
        (await Coordinator.GetAsync(request.Id, Ct))!.Decisions.Should().BeEmpty();
    }

    [Fact]
    public async Task Only_the_requester_withdraws()
    {
        var request = await HoldAsync("agent-withdraw", "rm withdraw-me");

        var byOperator = await FluentActions.Awaiting(() => Approvals("op-w", "operators").WithdrawRequestAsync(new WithdrawRequestRequest { Id = request.Id }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<RpcException>();
        var byRequester = await Approvals("agent-withdraw").WithdrawRequestAsync(new WithdrawRequestRequest { Id = request.Id, Reason = "wrong file" }, cancellationToken: Ct);

        byOperator.Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        byRequester.Approval.State.Should().Be(ApprovalState.Withdrawn);
    }

    [Fact]
    public async Task Lists_filter_by_state_target_requester_and_mine()
    {
        var first = await HoldAsync("agent-list-a", "rm list-1");
        var second = await HoldAsync("agent-list-b", "rm list-2");
        await Approvals("op-list", "operators").DenyRequestAsync(new DenyRequestRequest { Id = second.Id, Reason = "no" }, cancellationToken: Ct);
        var operators = Approvals("op-list", "operators");

        var pending = await operators.ListApprovalsAsync(new ListApprovalsRequest { States = { ApprovalState.Pending }, Target = "local" }, cancellationToken: Ct);
        var byRequester = await operators.ListApprovalsAsync(new ListApprovalsRequest { Requester = "agent-list-b" }, cancellationToken: Ct);
        var mine = await Approvals("agent-list-a").ListApprovalsAsync(new ListApprovalsRequest { Mine = true }, cancellationToken: Ct);

        pending.Approvals.Select(a => a.Id).Should().Contain(first.Id).And.NotContain(second.Id);
        byRequester.Approvals.Select(a => a.Id).Should().Equal(second.Id);
        mine.Approvals.Select(a => a.Id).Should().Equal(first.Id);
    }

    [Fact]
    public async Task Watch_streams_pending_requests_then_every_change()
    {
        var before = await HoldAsync("agent-watch", "rm watched-before");
        using var watch = Approvals("op-watch", "operators").WatchApprovals(new WatchApprovalsRequest { IncludePending = true }, cancellationToken: Ct);
        var stream = watch.ResponseStream;

        (await NextForAsync(stream, before.Id)).Kind.Should().Be(ApprovalEventKind.Requested);
        var during = await HoldAsync("agent-watch", "rm watched-during");
        (await NextForAsync(stream, during.Id)).Kind.Should().Be(ApprovalEventKind.Requested);
        await Approvals("op-other", "operators").DenyRequestAsync(new DenyRequestRequest { Id = during.Id, Reason = "no" }, cancellationToken: Ct);

        var denied = await NextForAsync(stream, during.Id);
        denied.Kind.Should().Be(ApprovalEventKind.Denied);
        denied.Approval.StateReason.Should().Contain("no");
    }

    [Fact]
    public async Task A_call_without_a_token_is_refused()
    {
        var client = new ApprovalService.ApprovalServiceClient(_broker.Channel(null));

        var call = await FluentActions.Awaiting(() => client.ListApprovalsAsync(new ListApprovalsRequest(), cancellationToken: Ct).ResponseAsync).Should().ThrowAsync<RpcException>();

        call.Which.StatusCode.Should().Be(StatusCode.Unauthenticated);
    }

    [Fact]
    public void Webhook_notifications_and_the_audit_log_listen_to_the_brokers_approvals() =>
        _broker.Services.GetServices<IApprovalListener>().Select(l => l.GetType()).Should().BeEquivalentTo([typeof(WebhookNotifier), typeof(Broker.Server.Audit.AuditApprovalListener)]);

    public void Dispose() => _timeout.Dispose();

    private static async Task<WatchApprovalsResponse> NextForAsync(IAsyncStreamReader<WatchApprovalsResponse> stream, string id)
    {
        while (await stream.MoveNext())
        {
            if (stream.Current.Approval.Id == id)
            {
                return stream.Current;
            }
        }

        throw new InvalidOperationException($"the watch ended before an event for {id}");
    }

    private ApprovalService.ApprovalServiceClient Approvals(string subject, params string[] groups) => new(_broker.Channel(_broker.Token(subject, groups)));

    private Task<ApprovalRequest> HoldAsync(string requester, string command) => Coordinator.RequestAsync(
        new ApprovalSpec
        {
            SessionId = "s-" + Guid.NewGuid().ToString("n"),
            Target = "local",
            Role = "agent",
            Requester = new ApprovalParty(DevIssuer.IssuerName, requester),
            Command = command,
            PolicyVersion = "dev",
            RuleId = "agent#review",
            Reason = "changes files",
            Programs = ["rm"],
            Requirements = ApprovalRequirements.From(new Broker.Policy.ApproverSettings { Groups = ["operators"] }),
        },
        Ct);
}
