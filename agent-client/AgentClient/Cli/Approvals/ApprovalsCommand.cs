using System.CommandLine;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Grpc.Core;

namespace AgentClient.Cli.Approvals;

/// <summary><c>approvals list|show|approve|deny|watch|wait</c>: see and decide commands held for approval.</summary>
internal static class ApprovalsCommand
{
    public static Command Create(ClientOptions client) => new("approvals", "See and decide commands held for approval")
    {
        List(client), Show(client), Approve(client), Deny(client), Watch(client), Wait(client),
    };

    private static Command List(ClientOptions client)
    {
        var state = new Option<string?>("--state") { Description = "Only this state: pending, approved, denied, expired, withdrawn or executed" };
        state.AcceptOnlyFromAmong("pending", "approved", "denied", "expired", "withdrawn", "executed");
        var target = new Option<string?>("--target") { Description = "Only requests for this target" };
        var requester = new Option<string?>("--requester") { Description = "Only requests by this subject" };
        var mine = new Option<bool>("--mine") { Description = "Only your own requests" };
        var command = new Command("list", "List the requests you may see, newest first") { state, target, requester, mine };
        command.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var request = new ListApprovalsRequest { Target = parse.GetValue(target) ?? string.Empty, Requester = parse.GetValue(requester) ?? string.Empty, Mine = parse.GetValue(mine) };
            if (parse.GetValue(state) is { } name)
            {
                request.States.Add(StateNamed(name));
            }

            var response = await Service(broker).ListApprovalsAsync(request, cancellationToken: ct).ConfigureAwait(false);
            StandardStreams.Out.WriteLine(ApprovalPrinter.Header);
            foreach (var approval in response.Approvals)
            {
                StandardStreams.Out.WriteLine(ApprovalPrinter.Line(approval));
            }

            return 0;
        }, ct));
        return command;
    }

    private static Command Show(ClientOptions client)
    {
        var id = new Argument<string>("id") { Description = "The approval request's id" };
        var command = new Command("show", "Show a request: the command with every hidden character made visible, its programs, who may decide") { id };
        command.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var response = await Service(broker).GetApprovalAsync(new GetApprovalRequest { Id = parse.GetValue(id)! }, cancellationToken: ct).ConfigureAwait(false);
            ApprovalPrinter.Details(StandardStreams.Out, response.Approval, DateTimeOffset.UtcNow);
            return 0;
        }, ct));
        return command;
    }

    private static Command Approve(ClientOptions client)
    {
        var id = new Argument<string>("id") { Description = "The approval request's id" };
        var reason = new Option<string?>("--reason") { Description = "Why (optional)" };
        var command = new Command("approve", "Approve a request (you cannot approve your own)") { id, reason };
        command.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var response = await Service(broker).ApproveRequestAsync(new ApproveRequestRequest { Id = parse.GetValue(id)!, Reason = parse.GetValue(reason) ?? string.Empty }, cancellationToken: ct).ConfigureAwait(false);
            StandardStreams.Out.WriteLine(response.Approval.State == ApprovalState.Approved
                ? $"{response.Approval.Id} approved"
                : $"{response.Approval.Id}: your approval was counted; it needs more approvers");
            return 0;
        }, ct));
        return command;
    }

    private static Command Deny(ClientOptions client)
    {
        var id = new Argument<string>("id") { Description = "The approval request's id" };
        var reason = new Option<string>("--reason") { Description = "Why (required)", Required = true };
        var command = new Command("deny", "Deny a request; it ends at once") { id, reason };
        command.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var response = await Service(broker).DenyRequestAsync(new DenyRequestRequest { Id = parse.GetValue(id)!, Reason = parse.GetValue(reason)! }, cancellationToken: ct).ConfigureAwait(false);
            StandardStreams.Out.WriteLine($"{response.Approval.Id} denied");
            return 0;
        }, ct));
        return command;
    }

    private static Command Watch(ClientOptions client)
    {
        var mine = new Option<bool>("--mine") { Description = "Only your own requests" };
        var command = new Command("watch", "Print the pending requests, then every new or changed one as it happens") { mine };
        command.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            using var call = Service(broker).WatchApprovals(new WatchApprovalsRequest { Mine = parse.GetValue(mine), IncludePending = true }, cancellationToken: ct);
            await foreach (var change in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                StandardStreams.Out.WriteLine($"{ApprovalPrinter.Event(change.Kind),-16} {ApprovalPrinter.Line(change.Approval)}");
            }

            return 0;
        }, ct));
        return command;
    }

    private static Command Wait(ClientOptions client)
    {
        var id = new Argument<string>("id") { Description = "The approval request's id" };
        var timeout = new Option<int?>("--timeout") { Description = $"Give up after this many seconds (exit {ExitCodes.StillPending} while still pending)" };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is <= 0)
            {
                r.AddError("--timeout must be a positive number of seconds");
            }
        });
        var command = new Command("wait", $"Wait for a decision: exit 0 approved, {ExitCodes.ApprovalDenied} denied, {ExitCodes.ApprovalExpired} expired, {ExitCodes.ApprovalWithdrawn} withdrawn") { id, timeout };
        command.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (parse.GetValue(timeout) is { } seconds)
            {
                limit.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            var service = Service(broker);
            var approvalId = parse.GetValue(id)!;
            try
            {
                var decided = await WaitForDecisionAsync(service, approvalId, limit.Token).ConfigureAwait(false);
                StandardStreams.Out.WriteLine($"{decided.Id} {ApprovalPrinter.State(decided.State)}{(string.IsNullOrEmpty(decided.StateReason) ? string.Empty : ": " + Recorder.UntrustedText.Neutralize(decided.StateReason))}");
                return decided.State switch
                {
                    ApprovalState.Approved or ApprovalState.Executed => 0,
                    ApprovalState.Denied => ExitCodes.ApprovalDenied,
                    ApprovalState.Expired => ExitCodes.ApprovalExpired,
                    _ => ExitCodes.ApprovalWithdrawn,
                };
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled } && !ct.IsCancellationRequested)
            {
                return ExitCodes.Report(ExitCodes.StillPending, $"{approvalId} is still pending");
            }
        }, ct));
        return command;
    }

    /// <summary>Watches first, then reads the request, so a decision made in between is not missed.</summary>
    private static async Task<Approval> WaitForDecisionAsync(ApprovalService.ApprovalServiceClient service, string id, CancellationToken ct)
    {
        using var call = service.WatchApprovals(new WatchApprovalsRequest(), cancellationToken: ct);

        // The broker sends the watch's headers once it is subscribed; reading before that could miss a decision.
        await call.ResponseHeadersAsync.ConfigureAwait(false);
        var current = (await service.GetApprovalAsync(new GetApprovalRequest { Id = id }, cancellationToken: ct).ConfigureAwait(false)).Approval;
        if (current.State != ApprovalState.Pending)
        {
            return current;
        }

        await foreach (var change in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (change.Approval.Id == id && change.Approval.State != ApprovalState.Pending)
            {
                return change.Approval;
            }
        }

        // The watch ended (the broker stopped or the watcher fell behind): the request as it stands now.
        return (await service.GetApprovalAsync(new GetApprovalRequest { Id = id }, cancellationToken: ct).ConfigureAwait(false)).Approval;
    }

    private static ApprovalService.ApprovalServiceClient Service(BrokerContext broker) => new(broker.Connection.Channel);

    private static ApprovalState StateNamed(string name) => name switch
    {
        "pending" => ApprovalState.Pending,
        "approved" => ApprovalState.Approved,
        "denied" => ApprovalState.Denied,
        "expired" => ApprovalState.Expired,
        "withdrawn" => ApprovalState.Withdrawn,
        _ => ApprovalState.Executed,
    };
}
