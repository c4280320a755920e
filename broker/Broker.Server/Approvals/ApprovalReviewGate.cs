using Broker.Approvals;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Composition;
using Broker.Server.Configuration;
using Recorder;
using ApprovalEventKind = Recorder.ApprovalEventKind;

namespace Broker.Server.Approvals;

/// <summary>
/// Holds commands for people: a <c>review</c> becomes a stored approval request (durable before the client hears it
/// is held), then the command runs once if the request is approved, and never otherwise. An approval given to an
/// earlier run of the identical command (same requester, target, role and policy) is used here, once. A caller waits
/// no longer than its token lives: a command never runs on a token that expired while it was held.
/// </summary>
internal sealed partial class ApprovalReviewGate(ApprovalCoordinator approvals, IAccessPolicy access, WaitingCommands waiting, BrokerSettings settings, ILogger<ApprovalReviewGate> logger) : IReviewGate
{
    /// <summary>The rule id of refusals the approval workflow makes (denied, expired, withdrawn, not usable).</summary>
    public const string RuleId = "(approval)";

    /// <summary>The longest a timer is armed for; a token living longer outlives every request's own expiry anyway.</summary>
    private static readonly TimeSpan s_longestTimer = TimeSpan.FromDays(30);

    private readonly TimeProvider _time = settings.Time;

    public async ValueTask<ReviewOutcome> ReviewAsync(ReviewRequest request, IReviewProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        var decision = request.Decision;
        if (decision.Role is not { } role || access.Roles([role]) is not [{ Approvers: { } approvers }, ..])
        {
            // Fail closed: a review nobody may approve is a refusal.
            return Refuse($"approval required, but role '{decision.Role}' names no approvers: {decision.Reason}");
        }

        var requester = new ApprovalParty(request.Caller.Issuer, request.Caller.Subject);
        var spec = new ApprovalSpec
        {
            SessionId = request.SessionId,
            Target = request.Target,
            Role = role,
            Requester = requester,
            Command = request.Command,
            PolicyVersion = request.PolicyVersion,
            RuleId = decision.RuleId,
            Reason = decision.Reason,
            Programs = decision.Facts.Programs,
            AwsActions = decision.Facts.AwsActions,
            Requirements = ApprovalRequirements.From(approvers),
        };
        var earlier = await approvals.TryConsumeAsync(requester, spec.Binding, Verdict.Review, cancellationToken).ConfigureAwait(false);
        if (earlier is { Succeeded: true, Request: { } used })
        {
            RecordDecisions(progress, used);
            return Run(progress, used, decision);
        }

        var pending = await approvals.FindPendingAsync(requester, spec.Binding, cancellationToken).ConfigureAwait(false)
            ?? await approvals.RequestAsync(spec, cancellationToken).ConfigureAwait(false);
        progress.Record(new ApprovalRecord
        {
            Kind = ApprovalEventKind.Requested,
            ApprovalId = pending.Id,
            Reason = pending.SessionId == request.SessionId ? decision.Reason : $"the identical command is already waiting on this request: {decision.Reason}",
        });
        var held = new HeldCommand(pending.Id, pending.ExpiresAt, pending.Requirements, pending.Approvals.Count());
        await progress.HeldAsync(held, cancellationToken).ConfigureAwait(false);
        LogHeld(logger, pending.Id, request.SessionId);
        if (request.NoWait)
        {
            return new ReviewOutcome.Pending(held);
        }

        Waited waited;
        using (waiting.Wait(new WaitingCommand(request.SessionId, requester.Issuer, requester.Subject, request.Target, pending.CreatedAt)))
        {
            waited = await WaitAsync(pending.Id, requester, request, progress, cancellationToken).ConfigureAwait(false);
        }

        if (waited.Outcome is { } decided)
        {
            RecordDecisions(progress, decided);
        }

        // Approved as the token ran out counts as ran out: the approval stays unused for the identical command run
        // with a fresh token.
        if (waited.CallerTokenExpired || (waited.Outcome?.State == ApprovalState.Approved && TokenExpired(request)))
        {
            LogTokenExpired(logger, pending.Id, request.SessionId);
            return new ReviewOutcome.Pending(held) { CallerTokenExpired = true };
        }

        if (waited.Outcome is not { } outcome)
        {
            return Close(progress, pending.Id, "the request is gone");
        }

        return outcome.State switch
        {
            ApprovalState.Approved => await ConsumeAsync(request, requester, outcome, progress, cancellationToken).ConfigureAwait(false),
            ApprovalState.Denied => Refuse(outcome.StateReason ?? "denied"),
            ApprovalState.Expired => Close(progress, outcome.Id, outcome.StateReason ?? "nobody decided the request in time"),
            _ => Close(progress, outcome.Id, $"the request is {outcome.State.Name()}: {outcome.StateReason}"),
        };
    }

    /// <summary>
    /// Waits for the outcome until the caller's token expires; a client that leaves meanwhile withdraws its request
    /// (nobody is asked to decide a command nobody waits for), while an expired token leaves it pending.
    /// </summary>
    private async Task<Waited> WaitAsync(string id, ApprovalParty requester, ReviewRequest request, IReviewProgress progress, CancellationToken cancellationToken)
    {
        using var tokenLife = request.CallerExpiresAt is { } expiresAt ? new CancellationTokenSource(TimerDue(expiresAt - _time.GetUtcNow()), _time) : null;
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tokenLife?.Token ?? CancellationToken.None);
        try
        {
            return new Waited(await approvals.WaitForOutcomeAsync(id, waiting.Token).ConfigureAwait(false), false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && tokenLife is { IsCancellationRequested: true })
        {
            return new Waited(null, true);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var reason = request.WithdrawReason();
            var withdrawn = await approvals.WithdrawAsync(id, requester, reason, CancellationToken.None).ConfigureAwait(false);
            progress.Record(new ApprovalRecord { Kind = ApprovalEventKind.Closed, ApprovalId = id, Reason = withdrawn.Succeeded ? "withdrawn: " + reason : reason });
            throw;
        }
    }

    /// <summary>Uses the approval for this run, under the policy as it is now.</summary>
    private async Task<ReviewOutcome> ConsumeAsync(ReviewRequest request, ApprovalParty requester, ApprovalRequest approved, IReviewProgress progress, CancellationToken cancellationToken)
    {
        var now = request.DecideAgain();
        var consumed = await approvals.TryConsumeAsync(requester, approved.Binding, now.Verdict, cancellationToken).ConfigureAwait(false);
        if (consumed is not { Succeeded: true, Request: { } used })
        {
            var why = now.Verdict == Verdict.Deny ? $"the policy now denies the command: {now.Reason}" : $"the approval cannot be used: {consumed.Message}";
            return Close(progress, approved.Id, why);
        }

        return Run(progress, used, request.Decision);
    }

    private static TimeSpan TimerDue(TimeSpan remaining) => TimeSpan.FromTicks(Math.Clamp(remaining.Ticks, 0, s_longestTimer.Ticks));

    private bool TokenExpired(ReviewRequest request) => request.CallerExpiresAt is { } expiresAt && _time.GetUtcNow() >= expiresAt;

    private static ReviewOutcome.Approved Run(IReviewProgress progress, ApprovalRequest used, Decision review)
    {
        var who = Approvers(used);
        progress.Record(new ApprovalRecord { Kind = ApprovalEventKind.Executed, ApprovalId = used.Id, Reason = $"approved by {who}" });
        return new ReviewOutcome.Approved(review.Approved($"approved by {who} (request {used.Id}): {review.Reason}"));
    }

    private static void RecordDecisions(IReviewProgress progress, ApprovalRequest request)
    {
        foreach (var decision in request.Decisions)
        {
            progress.Record(new ApprovalRecord
            {
                Kind = ApprovalEventKind.Decided,
                ApprovalId = request.Id,
                Approver = decision.Approver.ToString(),
                Decision = decision.Approved ? "approve" : "deny",
                Reason = $"at {decision.At.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" + (string.IsNullOrEmpty(decision.Reason) ? string.Empty : ": " + decision.Reason),
            });
        }
    }

    private static ReviewOutcome.Refused Close(IReviewProgress progress, string id, string reason)
    {
        progress.Record(new ApprovalRecord { Kind = ApprovalEventKind.Closed, ApprovalId = id, Reason = reason });
        return Refuse(reason);
    }

    private static ReviewOutcome.Refused Refuse(string reason) => new(Decision.Refused(RuleId, reason));

    private static string Approvers(ApprovalRequest request) =>
        string.Join(", ", request.Approvals.Select(d => d.Approver.Subject).Distinct(StringComparer.Ordinal));

    [LoggerMessage(Level = LogLevel.Information, Message = "Command held for approval {ApprovalId} in session {SessionId}")]
    private static partial void LogHeld(ILogger logger, string approvalId, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command held for approval {ApprovalId} in session {SessionId} did not run: the caller's token expired while it waited; the request stays pending")]
    private static partial void LogTokenExpired(ILogger logger, string approvalId, string sessionId);

    /// <summary>How a wait ended: with the request's outcome (null when it is gone), or with the caller's token expiring first.</summary>
    private readonly record struct Waited(ApprovalRequest? Outcome, bool CallerTokenExpired);
}
