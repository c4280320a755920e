using Broker.Approvals;
using Broker.Policy;
using Recorder;

namespace Broker.Server.Composition;

/// <summary>A command the policy decided <c>review</c>: a human must approve it before it runs.</summary>
/// <param name="Caller">Who asked for the command (the requester, who never approves it).</param>
/// <param name="SessionId">The session the command would run in.</param>
/// <param name="Target">Where the command would run.</param>
/// <param name="Command">The command's exact text as it was decided.</param>
/// <param name="Decision">The policy's decision (verdict <see cref="Verdict.Review"/>, its rule, reason and role).</param>
/// <param name="PolicyVersion">The version of the policy that decided (approvals are bound to it).</param>
/// <param name="DecideAgain">Decides the command under the policy as it is now: a reload that denies it wins over an approval.</param>
internal sealed record ReviewRequest(CallerIdentity Caller, string SessionId, string Target, string Command, Decision Decision, string PolicyVersion, Func<Decision> DecideAgain)
{
    /// <summary>Return mode: once the request is stored and the client told, answer <see cref="ReviewOutcome.Pending"/> instead of waiting.</summary>
    public bool NoWait { get; init; }

    /// <summary>
    /// When the requester's token expires: the wait ends then as in return mode (<see cref="ReviewOutcome.Pending"/>
    /// with <see cref="ReviewOutcome.Pending.CallerTokenExpired"/>), so nothing ever runs on a token that expired while
    /// its command was held. Null: the wait is bounded by the request's own expiry only.
    /// </summary>
    public DateTimeOffset? CallerExpiresAt { get; init; }

    /// <summary>Why the request is withdrawn when the wait is cancelled (asked when it is, so the canceller can say why).</summary>
    public Func<string> WithdrawReason { get; init; } = static () => "the client left while the command was held";
}

/// <summary>A command held for approval, as the client is told it.</summary>
/// <param name="ApprovalId">The approval request's id.</param>
/// <param name="ExpiresAt">When the request expires if nobody decides it.</param>
/// <param name="Approvers">Who may approve it.</param>
/// <param name="Approvals">Approvals counted so far.</param>
internal sealed record HeldCommand(string ApprovalId, DateTimeOffset ExpiresAt, ApprovalRequirements Approvers, int Approvals);

/// <summary>Where a review reports while it runs: the client hears that the command is held, the recording gets every step.</summary>
internal interface IReviewProgress
{
    /// <summary>The request is stored durably: tell the client the command is held.</summary>
    ValueTask HeldAsync(HeldCommand held, CancellationToken cancellationToken);

    /// <summary>A step of the approval, for the session's recording.</summary>
    void Record(ApprovalRecord step);
}

/// <summary>How a review ended for this run of the command.</summary>
internal abstract record ReviewOutcome
{
    /// <summary>Approved and consumed by this run: the command runs under <paramref name="Decision"/> (allow).</summary>
    public sealed record Approved(Decision Decision) : ReviewOutcome;

    /// <summary>The command does not run: denied, expired, withdrawn, or the approval could not be used; <paramref name="Decision"/> says why (deny).</summary>
    public sealed record Refused(Decision Decision) : ReviewOutcome;

    /// <summary>Return mode: the request waits for people; the command did not run.</summary>
    public sealed record Pending(HeldCommand Held) : ReviewOutcome
    {
        /// <summary>The caller waited, but its token expired first: the request stays pending for a run with a fresh token.</summary>
        public bool CallerTokenExpired { get; init; }
    }
}

/// <summary>
/// The one seam where commands held for review are decided: every <c>review</c> decision of an exec goes through it
/// before anything runs. It answers whether this run may go ahead; the approval workflow plugs in here.
/// </summary>
internal interface IReviewGate
{
    /// <summary>Holds <paramref name="request"/> until it is decided (or, in return mode, until it is stored); the outcome is final for this run.</summary>
    ValueTask<ReviewOutcome> ReviewAsync(ReviewRequest request, IReviewProgress progress, CancellationToken cancellationToken);
}
