namespace Broker.Approvals;

/// <summary>Why a step on a request was refused.</summary>
public enum ApprovalRefusal
{
    /// <summary>The step was taken.</summary>
    None,

    /// <summary>No such request (or none the caller may see).</summary>
    NotFound,

    /// <summary>The caller may not take this step (not an approver, the requester, a missing claim).</summary>
    NotAllowed,

    /// <summary>The request is no longer in a state that allows the step.</summary>
    WrongState,

    /// <summary>The step is malformed (a denial without a reason).</summary>
    Invalid,
}

/// <summary>The outcome of a step on a request: the request as it now stands, or why the step was refused.</summary>
/// <param name="Request">The request after the step (or as it stands when refused); null when not found.</param>
/// <param name="Refusal">Why the step was refused, or <see cref="ApprovalRefusal.None"/>.</param>
/// <param name="Message">A human explanation of the refusal.</param>
public sealed record ApprovalResult(ApprovalRequest? Request, ApprovalRefusal Refusal, string? Message)
{
    /// <summary>True when the step was taken.</summary>
    public bool Succeeded => Refusal == ApprovalRefusal.None;

    /// <summary>The step was taken.</summary>
    public static ApprovalResult Done(ApprovalRequest request) => new(request, ApprovalRefusal.None, null);

    /// <summary>The step was refused.</summary>
    public static ApprovalResult Refused(ApprovalRequest? request, ApprovalRefusal refusal, string message) => new(request, refusal, message);
}
