namespace Broker.Approvals;

/// <summary>Where an approval request is in its life: <c>pending → approved | denied | expired | withdrawn</c>, then <c>executed</c>.</summary>
public enum ApprovalState
{
    /// <summary>Waiting for approvers; the command has not run.</summary>
    Pending,

    /// <summary>The quorum approved; the command may run once, within the execution window.</summary>
    Approved,

    /// <summary>An approver denied it; the command never runs.</summary>
    Denied,

    /// <summary>Nobody decided within the timeout, or an approval was not used within the execution window.</summary>
    Expired,

    /// <summary>The requester withdrew it, or its session ended before a decision.</summary>
    Withdrawn,

    /// <summary>The approved command ran (the approval is used up).</summary>
    Executed,
}

/// <summary>Names of the states as they appear in the store, JSON and the CLI.</summary>
public static class ApprovalStateNames
{
    /// <summary>The lower-case name of <paramref name="state"/>.</summary>
    public static string Name(this ApprovalState state) => state switch
    {
        ApprovalState.Pending => "pending",
        ApprovalState.Approved => "approved",
        ApprovalState.Denied => "denied",
        ApprovalState.Expired => "expired",
        ApprovalState.Withdrawn => "withdrawn",
        _ => "executed",
    };

    /// <summary>The state named <paramref name="name"/>, or null for an unknown name.</summary>
    public static ApprovalState? Parse(string name) => name switch
    {
        "pending" => ApprovalState.Pending,
        "approved" => ApprovalState.Approved,
        "denied" => ApprovalState.Denied,
        "expired" => ApprovalState.Expired,
        "withdrawn" => ApprovalState.Withdrawn,
        "executed" => ApprovalState.Executed,
        _ => null,
    };

    /// <summary>True once nothing can change the request any more.</summary>
    public static bool IsFinal(this ApprovalState state) => state is ApprovalState.Denied or ApprovalState.Expired or ApprovalState.Withdrawn or ApprovalState.Executed;
}
