namespace Broker.Approvals;

/// <summary>Changes made by another broker replica over a shared store.</summary>
public sealed partial class ApprovalCoordinator
{
    /// <summary>
    /// Another replica stored version <paramref name="version"/> of request <paramref name="id"/> (the shared store's
    /// notification says so): requesters waiting here get its outcome and watchers here get the change. Listeners
    /// (webhooks) are not told: the replica that made the change told them. A notification for a version that is no
    /// longer the stored one is passed over, since the later version's own notification follows, so each version
    /// reaches this replica's watchers once.
    /// </summary>
    public async Task AnnounceRemoteChangeAsync(string id, long version, CancellationToken cancellationToken)
    {
        var current = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (current is null || current.Version != version)
        {
            return;
        }

        AnnounceHere(ApprovalEvent.Of(current));
    }

    /// <summary>
    /// Re-reads every request someone here waits on and hands each one that is decided to its waiters: after the
    /// shared store's notifications were interrupted (a lost connection), whatever was decided meanwhile.
    /// </summary>
    public async Task RefreshWaitersAsync(CancellationToken cancellationToken)
    {
        foreach (var id in _waiters.Keys)
        {
            if (await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { State: not ApprovalState.Pending } decided)
            {
                CompleteWaiters(decided);
            }
        }
    }

    private void AnnounceHere(ApprovalEvent approvalEvent)
    {
        CompleteWaiters(approvalEvent.Request);
        Feed.Publish(approvalEvent);
    }

    private void CompleteWaiters(ApprovalRequest after)
    {
        if (after.State != ApprovalState.Pending && _waiters.TryGetValue(after.Id, out var list))
        {
            lock (list)
            {
                foreach (var waiter in list)
                {
                    waiter.TrySetResult(after);
                }
            }
        }
    }
}
