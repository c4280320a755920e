using System.Diagnostics.CodeAnalysis;

namespace Broker.Approvals;

/// <summary>One held command and everything decided about it. Immutable: every change is a new version.</summary>
public sealed record ApprovalRequest : ApprovalSpec
{
    /// <summary>A request for <paramref name="spec"/>; the caller sets <see cref="Id"/>, <see cref="CreatedAt"/> and <see cref="ExpiresAt"/>.</summary>
    [SetsRequiredMembers]
    internal ApprovalRequest(ApprovalSpec spec)
        : base(spec)
    {
        Id = string.Empty;
    }

    /// <summary>A request as stored (every member set by the reader).</summary>
    public ApprovalRequest()
    {
    }

    /// <summary>The request's id (<c>apr-</c> and 20 hex digits).</summary>
    public required string Id { get; init; }

    /// <summary>When it was requested.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When a pending request expires.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The current state.</summary>
    public ApprovalState State { get; init; } = ApprovalState.Pending;

    /// <summary>Why it reached its state (the denial's reason, "the session ended", …); null while pending.</summary>
    public string? StateReason { get; init; }

    /// <summary>Every decision, in order.</summary>
    public IReadOnlyList<ApprovalDecision> Decisions { get; init; } = [];

    /// <summary>When it left <see cref="ApprovalState.Pending"/>.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>Until when an approved request may be used.</summary>
    public DateTimeOffset? ExecuteBy { get; init; }

    /// <summary>When the approved command ran.</summary>
    public DateTimeOffset? ExecutedAt { get; init; }

    /// <summary>Incremented by every change; the store replaces a request only at the version it was read at.</summary>
    public long Version { get; init; }

    /// <summary>The distinct approvers who approved so far.</summary>
    public IEnumerable<ApprovalDecision> Approvals => Decisions.Where(d => d.Approved);
}
