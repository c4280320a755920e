namespace Broker.Approvals;

/// <summary>One approver's decision on a request.</summary>
/// <param name="Approver">Who decided.</param>
/// <param name="Approved">True for an approval, false for a denial.</param>
/// <param name="Reason">Why (required for a denial, optional for an approval).</param>
/// <param name="At">When.</param>
/// <param name="Groups">The approver groups of the request the approver belonged to when deciding.</param>
public sealed record ApprovalDecision(ApprovalParty Approver, bool Approved, string? Reason, DateTimeOffset At, IReadOnlyList<string> Groups);
