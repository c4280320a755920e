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

    /// <summary>
    /// Withdraws every pending request that <paramref name="orphaned"/> says lost its session, with
    /// <paramref name="reason"/>: a replica's start-up recovery, which (unlike <see cref="RecoverAsync"/>) must spare the
    /// sessions other live replicas hold. Returns how many were withdrawn.
    /// </summary>
    public async Task<int> WithdrawOrphanedAsync(Func<ApprovalRequest, bool> orphaned, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orphaned);
        var open = await _store.ListAsync(new ApprovalQuery { States = [ApprovalState.Pending], Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        var withdrawn = 0;
        foreach (var request in open.Where(orphaned))
        {
            withdrawn += (await WithdrawForSessionAsync(request.Id, reason, cancellationToken).ConfigureAwait(false)).Succeeded ? 1 : 0;
        }

        return withdrawn;
    }

    /// <summary>Withdraws the pending requests of <paramref name="sessionId"/> (a session that died with its replica); returns how many.</summary>
    public async Task<int> WithdrawForEndedSessionAsync(string sessionId, string reason, CancellationToken cancellationToken)
    {
        var open = await _store.ListAsync(new ApprovalQuery { States = [ApprovalState.Pending], SessionId = sessionId, Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        var withdrawn = 0;
        foreach (var request in open)
        {
            withdrawn += (await WithdrawForSessionAsync(request.Id, reason, cancellationToken).ConfigureAwait(false)).Succeeded ? 1 : 0;
        }

        return withdrawn;
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
