namespace Broker.Approvals;

/// <summary>One held command and everything decided about it. Immutable: every change is a new version.</summary>
public sealed record ApprovalRequest
{
    /// <summary>The request's id (<c>apr-</c> and 20 hex digits).</summary>
    public required string Id { get; init; }

    /// <summary>The session the command was typed in.</summary>
    public required string SessionId { get; init; }

    /// <summary>The session's target.</summary>
    public required string Target { get; init; }

    /// <summary>The role whose rules decided <c>review</c>.</summary>
    public required string Role { get; init; }

    /// <summary>Who asked to run the command.</summary>
    public required ApprovalParty Requester { get; init; }

    /// <summary>The exact command.</summary>
    public required string Command { get; init; }

    /// <summary>SHA-256 over command, target, role and policy version (see <see cref="CommandBinding"/>).</summary>
    public required string Binding { get; init; }

    /// <summary>The policy snapshot that decided <c>review</c>.</summary>
    public required string PolicyVersion { get; init; }

    /// <summary>The rule that decided.</summary>
    public string? RuleId { get; init; }

    /// <summary>The rule's reason.</summary>
    public required string Reason { get; init; }

    /// <summary>The programs the parser found.</summary>
    public IReadOnlyList<string> Programs { get; init; } = [];

    /// <summary>The AWS actions the parser found.</summary>
    public IReadOnlyList<string> AwsActions { get; init; } = [];

    /// <summary>Who may approve.</summary>
    public required ApprovalRequirements Requirements { get; init; }

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
