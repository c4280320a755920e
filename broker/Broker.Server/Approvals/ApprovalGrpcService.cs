using Broker.Approvals;
using Broker.Server.Access;
using Broker.Server.Auth;
using Grpc.Core;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Approvals;

/// <summary>
/// The approvals API for people: list, get, watch, approve, deny, withdraw. It only translates; who may do what is
/// decided by <see cref="ApprovalRules"/> in the coordinator, and who may see what by <see cref="ApprovalVisibility"/>.
/// </summary>
internal sealed class ApprovalGrpcService(ApprovalCoordinator coordinator, ApprovalVisibility visibility) : V1.ApprovalService.ApprovalServiceBase
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    public override async Task<V1.ListApprovalsResponse> ListApprovals(V1.ListApprovalsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var seesAll = visibility.SeesAll(caller);
        var limit = request.Limit == 0 ? DefaultLimit : (int)Math.Min(request.Limit, MaxLimit);
        var query = new ApprovalQuery
        {
            States = [.. request.States.Select(s => s.FromProto()).OfType<ApprovalState>()],
            Target = Optional(request.Target),
            RequesterSubject = request.Mine ? caller.Subject : Optional(request.Requester),
            RequesterIssuer = request.Mine ? caller.Issuer : null,
            // Requests the caller may not see are filtered after the query; read enough to fill the page.
            Limit = seesAll || request.Mine ? limit : MaxLimit * 10,
        };
        var rows = await coordinator.ListAsync(query, context.CancellationToken).ConfigureAwait(false);
        var response = new V1.ListApprovalsResponse();
        response.Approvals.AddRange(rows.Where(r => ApprovalVisibility.CanSee(caller, r, seesAll)).Take(limit).Select(r => r.ToProto()));
        return response;
    }

    public override async Task<V1.GetApprovalResponse> GetApproval(V1.GetApprovalRequest request, ServerCallContext context) =>
        new() { Approval = (await VisibleAsync(request.Id, context).ConfigureAwait(false)).ToProto() };

    public override async Task WatchApprovals(V1.WatchApprovalsRequest request, IServerStreamWriter<V1.WatchApprovalsResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        var seesAll = visibility.SeesAll(caller);
        bool Shown(ApprovalRequest r) => ApprovalVisibility.CanSee(caller, r, seesAll) && (!request.Mine || (r.Requester.Issuer == caller.Issuer && r.Requester.Subject == caller.Subject));

        // Subscribed before the pending ones are listed, so nothing that changes in between is missed.
        using var subscription = coordinator.Feed.Subscribe();

        // The headers tell the client the watch is in place: a client that reads a request after they arrive cannot
        // miss a change made between its read and the watch (agent-client approvals wait relies on this).
        await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
        if (request.IncludePending)
        {
            var pending = await coordinator.ListAsync(new ApprovalQuery { States = [ApprovalState.Pending], Limit = MaxLimit }, context.CancellationToken).ConfigureAwait(false);
            foreach (var item in pending.Where(Shown).Reverse())
            {
                await responseStream.WriteAsync(new V1.WatchApprovalsResponse { Kind = V1.ApprovalEventKind.Requested, Approval = item.ToProto() }, context.CancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            await foreach (var change in subscription.Events.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (Shown(change.Request))
                {
                    await responseStream.WriteAsync(new V1.WatchApprovalsResponse { Kind = change.Kind.ToProto(), Approval = change.Request.ToProto() }, context.CancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (ApprovalFeedOverflowException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
    }

    public override async Task<V1.ApproveRequestResponse> ApproveRequest(V1.ApproveRequestRequest request, ServerCallContext context)
    {
        await VisibleAsync(request.Id, context).ConfigureAwait(false);
        var result = await coordinator.ApproveAsync(request.Id, context.Caller(), Optional(request.Reason), context.CancellationToken).ConfigureAwait(false);
        return new V1.ApproveRequestResponse { Approval = result.OrThrow() };
    }

    public override async Task<V1.DenyRequestResponse> DenyRequest(V1.DenyRequestRequest request, ServerCallContext context)
    {
        await VisibleAsync(request.Id, context).ConfigureAwait(false);
        var result = await coordinator.DenyAsync(request.Id, context.Caller(), Optional(request.Reason), context.CancellationToken).ConfigureAwait(false);
        return new V1.DenyRequestResponse { Approval = result.OrThrow() };
    }

    public override async Task<V1.WithdrawRequestResponse> WithdrawRequest(V1.WithdrawRequestRequest request, ServerCallContext context)
    {
        await VisibleAsync(request.Id, context).ConfigureAwait(false);
        var caller = context.Caller();
        var result = await coordinator.WithdrawAsync(request.Id, new ApprovalParty(caller.Issuer, caller.Subject), Optional(request.Reason), context.CancellationToken).ConfigureAwait(false);
        return new V1.WithdrawRequestResponse { Approval = result.OrThrow() };
    }

    private async Task<ApprovalRequest> VisibleAsync(string id, ServerCallContext context)
    {
        var caller = context.Caller();
        var found = string.IsNullOrEmpty(id) ? null : await coordinator.GetAsync(id, context.CancellationToken).ConfigureAwait(false);
        if (found is null || !ApprovalVisibility.CanSee(caller, found, visibility.SeesAll(caller)))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no approval request '{Recorder.UntrustedText.Neutralize(id, 100)}'"));
        }

        return found;
    }

    private static string? Optional(string text) => string.IsNullOrEmpty(text) ? null : text;
}
