namespace Broker.Approvals;

/// <summary>What happened to a request.</summary>
public enum ApprovalEventKind
{
    /// <summary>A command was held and the request stored.</summary>
    Requested,

    /// <summary>An approval was counted; the quorum is not met yet.</summary>
    ApprovalCounted,

    /// <summary>The quorum approved.</summary>
    Approved,

    /// <summary>An approver denied.</summary>
    Denied,

    /// <summary>The timeout or the execution window passed.</summary>
    Expired,

    /// <summary>The requester withdrew, or the session ended.</summary>
    Withdrawn,

    /// <summary>The approved command ran.</summary>
    Executed,
}

/// <summary>A change to a request, as watchers and notifiers see it.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Request">The request after the change.</param>
public sealed record ApprovalEvent(ApprovalEventKind Kind, ApprovalRequest Request)
{
    /// <summary>The event's name in webhooks and the CLI (<c>approval.requested</c>, …).</summary>
    public string Name => Kind switch
    {
        ApprovalEventKind.Requested => "approval.requested",
        ApprovalEventKind.ApprovalCounted => "approval.approval_counted",
        ApprovalEventKind.Approved => "approval.approved",
        ApprovalEventKind.Denied => "approval.denied",
        ApprovalEventKind.Expired => "approval.expired",
        ApprovalEventKind.Withdrawn => "approval.withdrawn",
        _ => "approval.executed",
    };

    /// <summary>The event that takes a request from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public static ApprovalEvent Between(ApprovalRequest? before, ApprovalRequest after)
    {
        ArgumentNullException.ThrowIfNull(after);
        var kind = before is null ? ApprovalEventKind.Requested : after.State switch
        {
            ApprovalState.Pending => ApprovalEventKind.ApprovalCounted,
            ApprovalState.Approved => ApprovalEventKind.Approved,
            ApprovalState.Denied => ApprovalEventKind.Denied,
            ApprovalState.Expired => ApprovalEventKind.Expired,
            ApprovalState.Withdrawn => ApprovalEventKind.Withdrawn,
            _ => ApprovalEventKind.Executed,
        };
        return new ApprovalEvent(kind, after);
    }

    /// <summary>The event that led to <paramref name="after"/>, known only from the request itself (a change another replica made).</summary>
    public static ApprovalEvent Of(ApprovalRequest after)
    {
        ArgumentNullException.ThrowIfNull(after);

        // A request is stored at version 0; every change adds one.
        return after is { State: ApprovalState.Pending, Version: 0 } ? new ApprovalEvent(ApprovalEventKind.Requested, after) : Between(after, after);
    }
}

/// <summary>Something told of every change (a webhook notifier, the session recording). Must return at once.</summary>
public interface IApprovalListener
{
    /// <summary>Called after the change is stored; must not block or throw.</summary>
    void OnApprovalEvent(ApprovalEvent approvalEvent);
}
