using Broker.Policy;

namespace Broker.Approvals;

/// <summary>
/// The rules of approval as pure functions from a request, a caller and the time to the next version of the
/// request (or a refusal). No I/O: the coordinator stores what these return, at the version they read.
/// </summary>
public static class ApprovalRules
{
    private const string GroupsClaim = "groups";

    /// <summary>Records <paramref name="approver"/>'s approval; the request becomes approved when the quorum is met.</summary>
    public static ApprovalResult Approve(ApprovalRequest request, CallerIdentity approver, string? reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(approver);
        if (CheckDecider(request, approver, now) is { } refusal)
        {
            return refusal;
        }

        var party = ApprovalParty.Of(approver);
        if (request.Approvals.Any(d => d.Approver == party))
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.WrongState, "you have already approved this request; an approver counts once");
        }

        var decision = new ApprovalDecision(party, true, Blank(reason) ? null : reason, now, GroupsOf(request, approver));
        var decided = request with { Decisions = [.. request.Decisions, decision], Version = request.Version + 1 };
        if (!QuorumMet(decided))
        {
            return ApprovalResult.Done(decided);
        }

        return ApprovalResult.Done(decided with
        {
            State = ApprovalState.Approved,
            StateReason = "approved by " + string.Join(", ", decided.Approvals.Select(d => d.Approver.Subject)),
            DecidedAt = now,
            ExecuteBy = now + request.Requirements.ExecutionWindow,
        });
    }

    /// <summary>Records <paramref name="approver"/>'s denial, which ends the request at once.</summary>
    public static ApprovalResult Deny(ApprovalRequest request, CallerIdentity approver, string? reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(approver);
        if (Blank(reason))
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.Invalid, "a denial needs a reason");
        }

        if (CheckDecider(request, approver, now) is { } refusal)
        {
            return refusal;
        }

        var decision = new ApprovalDecision(ApprovalParty.Of(approver), false, reason, now, GroupsOf(request, approver));
        return ApprovalResult.Done(request with
        {
            Decisions = [.. request.Decisions, decision],
            State = ApprovalState.Denied,
            StateReason = $"denied by {approver.Subject}: {reason}",
            DecidedAt = now,
            Version = request.Version + 1,
        });
    }

    /// <summary>The requester takes its request back (pending or approved and not yet used).</summary>
    public static ApprovalResult Withdraw(ApprovalRequest request, ApprovalParty caller, string? reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (caller != request.Requester)
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.NotAllowed, "only the requester may withdraw a request");
        }

        return Close(request, ApprovalState.Withdrawn, Blank(reason) ? "withdrawn by the requester" : $"withdrawn by the requester: {reason}", now);
    }

    /// <summary>The broker withdraws a request whose session is gone.</summary>
    public static ApprovalResult WithdrawForSession(ApprovalRequest request, string reason, DateTimeOffset now) =>
        Close(request, ApprovalState.Withdrawn, reason, now);

    /// <summary>
    /// Expires a pending request past its timeout, or an approved one past its execution window; null when
    /// <paramref name="request"/> is not due.
    /// </summary>
    public static ApprovalRequest? Expire(ApprovalRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.State switch
        {
            ApprovalState.Pending when now >= request.ExpiresAt => Close(request, ApprovalState.Expired, "no decision within the approval timeout", now).Request,
            ApprovalState.Approved when now >= request.ExecuteBy => Close(request, ApprovalState.Expired, "the approval was not used within its execution window", now).Request,
            _ => null,
        };
    }

    /// <summary>
    /// Uses an approval to run its command: only the requester, only the identical command on the same target, role
    /// and policy snapshot (<paramref name="binding"/>), only while the current policy still says <c>review</c>, only
    /// within the execution window, and only once.
    /// </summary>
    public static ApprovalResult Consume(ApprovalRequest request, ApprovalParty requester, string binding, Verdict currentVerdict, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (requester != request.Requester || !string.Equals(binding, request.Binding, StringComparison.Ordinal))
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.NotAllowed, "the approval was given for another command, target, role, policy or requester");
        }

        if (currentVerdict != Verdict.Review)
        {
            // A policy that now denies the command wins over an approval given under the old one.
            return ApprovalResult.Refused(request, ApprovalRefusal.NotAllowed, "the current policy no longer holds this command for review");
        }

        if (request.State != ApprovalState.Approved)
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.WrongState, $"the request is {request.State.Name()}");
        }

        if (now >= request.ExecuteBy)
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.WrongState, "the approval was not used within its execution window");
        }

        return ApprovalResult.Done(request with { State = ApprovalState.Executed, ExecutedAt = now, Version = request.Version + 1 });
    }

    /// <summary>True when the request's approvals meet its quorum.</summary>
    public static bool QuorumMet(ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var approvals = request.Approvals.ToList();
        if (!request.Requirements.OneFromEachGroup)
        {
            return approvals.Select(a => a.Approver).Distinct().Count() >= request.Requirements.Quorum;
        }

        // Each group needs its own approver: one person in two groups fills only one of them.
        return Assign(request.Requirements.Groups, 0, approvals, new HashSet<ApprovalParty>());
    }

    private static bool Assign(IReadOnlyList<string> groups, int index, List<ApprovalDecision> approvals, HashSet<ApprovalParty> used)
    {
        if (index == groups.Count)
        {
            return true;
        }

        foreach (var approval in approvals.Where(a => !used.Contains(a.Approver) && a.Groups.Contains(groups[index], StringComparer.Ordinal)))
        {
            used.Add(approval.Approver);
            if (Assign(groups, index + 1, approvals, used))
            {
                return true;
            }

            used.Remove(approval.Approver);
        }

        return false;
    }

    private static ApprovalResult? CheckDecider(ApprovalRequest request, CallerIdentity approver, DateTimeOffset now)
    {
        if (request.State != ApprovalState.Pending)
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.WrongState, $"the request is already {request.State.Name()}");
        }

        if (now >= request.ExpiresAt)
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.WrongState, "the request has expired");
        }

        if (ApprovalParty.Of(approver) == request.Requester)
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.NotAllowed, "the requester cannot decide its own request");
        }

        if (GroupsOf(request, approver).Count == 0)
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.NotAllowed, $"only members of {string.Join(", ", request.Requirements.Groups)} may decide this request");
        }

        foreach (var (claim, values) in request.Requirements.RequiredClaims)
        {
            var held = approver.Claims.TryGetValue(claim, out var present) ? present : [];
            if (values.FirstOrDefault(v => !held.Contains(v, StringComparer.Ordinal)) is { } missing)
            {
                return ApprovalResult.Refused(request, ApprovalRefusal.NotAllowed, $"deciding this request needs the claim {claim} to contain '{missing}'");
            }
        }

        return null;
    }

    private static List<string> GroupsOf(ApprovalRequest request, CallerIdentity caller) =>
        caller.Claims.TryGetValue(GroupsClaim, out var groups) ? [.. request.Requirements.Groups.Where(g => groups.Contains(g, StringComparer.Ordinal))] : [];

    private static ApprovalResult Close(ApprovalRequest request, ApprovalState state, string reason, DateTimeOffset now)
    {
        if (request.State is not (ApprovalState.Pending or ApprovalState.Approved))
        {
            return ApprovalResult.Refused(request, ApprovalRefusal.WrongState, $"the request is already {request.State.Name()}");
        }

        return ApprovalResult.Done(request with
        {
            State = state,
            StateReason = reason,
            DecidedAt = request.DecidedAt ?? now,
            Version = request.Version + 1,
        });
    }

    private static bool Blank(string? text) => string.IsNullOrWhiteSpace(text);
}
