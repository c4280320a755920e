namespace Recorder;

/// <summary>What happened to an approval request.</summary>
public enum ApprovalEventKind
{
    /// <summary>An approval was requested for a command under review.</summary>
    Requested = 0,

    /// <summary>An approver decided (approve or reject); quorum may need several.</summary>
    Decided = 1,

    /// <summary>The approved command was sent to the target.</summary>
    Executed = 2,

    /// <summary>The request expired or was withdrawn without being executed.</summary>
    Closed = 3,
}

/// <summary>One step of a command's approval.</summary>
public sealed record ApprovalRecord
{
    /// <summary>What happened.</summary>
    public required ApprovalEventKind Kind { get; init; }

    /// <summary>The number of the command the approval is about (see <see cref="CommandRecord.Number"/>).</summary>
    public long CommandNumber { get; init; }

    /// <summary>The approval request id.</summary>
    public required string ApprovalId { get; init; }

    /// <summary>Who decided (for <see cref="ApprovalEventKind.Decided"/>).</summary>
    public string? Approver { get; init; }

    /// <summary>The approver's decision, for example <c>approve</c> or <c>reject</c>.</summary>
    public string? Decision { get; init; }

    /// <summary>A reason or comment.</summary>
    public string? Reason { get; init; }
}
