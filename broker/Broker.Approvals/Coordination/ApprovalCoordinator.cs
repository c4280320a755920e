using System.Collections.Concurrent;
using System.Security.Cryptography;
using Broker.Policy;

namespace Broker.Approvals;

/// <summary>
/// Turns a <c>review</c> decision into a stored request and an awaitable outcome, and applies every decision to it.
/// This is the API a session's policy gate uses: <see cref="RequestAsync"/> (stored durably before it returns, so
/// the requester may then be told it is held), <see cref="WaitForOutcomeAsync"/> (cancellable), and
/// <see cref="TryConsumeAsync"/> (run an approved command once). The gRPC service uses the rest.
/// Every change goes through the store's version check, retried on conflict, so concurrent decisions give one
/// consistent outcome, each recorded once.
/// </summary>
public sealed partial class ApprovalCoordinator : IDisposable
{
    private const int MaxConflictRetries = 16;
    private readonly IApprovalStore _store;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IApprovalListener> _listeners;
    private readonly ConcurrentDictionary<string, List<TaskCompletionSource<ApprovalRequest>>> _waiters = new(StringComparer.Ordinal);
    private readonly ITimer _sweep;

    /// <summary>A coordinator over <paramref name="store"/> that looks for due requests every <paramref name="sweepInterval"/> (default 1 s).</summary>
    public ApprovalCoordinator(IApprovalStore store, TimeProvider time, IEnumerable<IApprovalListener>? listeners = null, TimeSpan? sweepInterval = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _time = time;
        _listeners = [.. listeners ?? []];
        var interval = sweepInterval ?? TimeSpan.FromSeconds(1);
        _sweep = time.CreateTimer(_ => _ = SweepQuietlyAsync(), null, interval, interval);
    }

    /// <summary>Live changes, for watchers.</summary>
    public ApprovalFeed Feed { get; } = new();

    /// <summary>Stores a pending request for <paramref name="spec"/>; when this returns the request is durable.</summary>
    public async Task<ApprovalRequest> RequestAsync(ApprovalSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var now = _time.GetUtcNow();
        var request = new ApprovalRequest(spec)
        {
            Id = "apr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)),
            CreatedAt = now,
            ExpiresAt = now + spec.Requirements.Timeout,
        };
        await _store.InsertAsync(request, cancellationToken).ConfigureAwait(false);
        Announce(null, request);
        return request;
    }

    /// <summary>The request with <paramref name="id"/>, brought up to date (expired if due), or null.</summary>
    public async Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var request = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return request is null ? null : await ExpireIfDueAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Requests matching <paramref name="query"/>, after expiring those that are due.</summary>
    public async Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalQuery query, CancellationToken cancellationToken)
    {
        await ExpireDueAsync(cancellationToken).ConfigureAwait(false);
        return await _store.ListAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records an approval by <paramref name="approver"/>.</summary>
    public Task<ApprovalResult> ApproveAsync(string id, CallerIdentity approver, string? reason, CancellationToken cancellationToken) =>
        ChangeAsync(id, (request, now) => ApprovalRules.Approve(request, approver, reason, now), cancellationToken);

    /// <summary>Records a denial by <paramref name="approver"/> (a reason is required).</summary>
    public Task<ApprovalResult> DenyAsync(string id, CallerIdentity approver, string? reason, CancellationToken cancellationToken) =>
        ChangeAsync(id, (request, now) => ApprovalRules.Deny(request, approver, reason, now), cancellationToken);

    /// <summary>Withdraws a request; only its requester may.</summary>
    public Task<ApprovalResult> WithdrawAsync(string id, ApprovalParty caller, string? reason, CancellationToken cancellationToken) =>
        ChangeAsync(id, (request, now) => ApprovalRules.Withdraw(request, caller, reason, now), cancellationToken);

    /// <summary>
    /// Waits until the request is no longer pending and returns it (approved, denied, expired or withdrawn);
    /// null when there is no such request. Cancelling stops the wait, not the request.
    /// </summary>
    public async Task<ApprovalRequest?> WaitForOutcomeAsync(string id, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<ApprovalRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var list = _waiters.GetOrAdd(id, _ => []);
        lock (list)
        {
            list.Add(waiter);
        }

        try
        {
            // Registered before reading, so a change between the read and the wait is not missed.
            var current = await GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (current is null || current.State != ApprovalState.Pending)
            {
                return current;
            }

            return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (list)
            {
                list.Remove(waiter);
            }
        }
    }

    /// <summary>
    /// Runs an approved command at most once: finds the requester's approved request with <paramref name="binding"/>
    /// and marks it executed. A refusal (none approved, another binding, a policy that no longer says review, a
    /// window that passed, another run that came first) means the command must not run on this approval.
    /// </summary>
    public async Task<ApprovalResult> TryConsumeAsync(ApprovalParty requester, string binding, Verdict currentVerdict, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var candidates = await _store.ListAsync(
            new ApprovalQuery { Binding = binding, RequesterIssuer = requester.Issuer, RequesterSubject = requester.Subject, States = [ApprovalState.Approved] },
            cancellationToken).ConfigureAwait(false);
        ApprovalResult? last = null;
        foreach (var candidate in candidates.OrderBy(c => c.DecidedAt))
        {
            last = await ChangeAsync(candidate.Id, (request, now) => ApprovalRules.Consume(request, requester, binding, currentVerdict, now), cancellationToken).ConfigureAwait(false);
            if (last.Succeeded)
            {
                return last;
            }
        }

        return last ?? ApprovalResult.Refused(null, ApprovalRefusal.NotFound, "no approved request for this command");
    }

    /// <summary>The requester's pending request for the same binding, if any (a repeated command waits on it instead of asking again).</summary>
    public async Task<ApprovalRequest?> FindPendingAsync(ApprovalParty requester, string binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var pending = await ListAsync(
            new ApprovalQuery { Binding = binding, RequesterIssuer = requester.Issuer, RequesterSubject = requester.Subject, States = [ApprovalState.Pending], Limit = 1 },
            cancellationToken).ConfigureAwait(false);
        return pending.Count > 0 ? pending[0] : null;
    }

    /// <summary>Withdraws <paramref name="id"/> because its session is gone.</summary>
    public Task<ApprovalResult> WithdrawForSessionAsync(string id, string reason, CancellationToken cancellationToken) =>
        ChangeAsync(id, (request, now) => ApprovalRules.WithdrawForSession(request, reason, now), cancellationToken);

    /// <summary>
    /// After a restart: every pending or approved request whose session is not alive any more is withdrawn with that
    /// reason; decided ones are left as they are. Returns how many were withdrawn.
    /// </summary>
    public Task<int> RecoverAsync(Func<string, bool> sessionAlive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionAlive);
        return WithdrawOrphanedAsync(r => !sessionAlive(r.SessionId), "the session ended (the broker restarted) before a decision", cancellationToken);
    }

    /// <summary>Expires every pending request past its timeout and every approval past its window; returns how many.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var open = await _store.ListAsync(new ApprovalQuery { States = [ApprovalState.Pending, ApprovalState.Approved], Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        var expired = 0;
        foreach (var request in open)
        {
            var after = await ExpireIfDueAsync(request, cancellationToken).ConfigureAwait(false);
            expired += after.State == ApprovalState.Expired && request.State != ApprovalState.Expired ? 1 : 0;
        }

        return expired;
    }

    /// <inheritdoc />
    public void Dispose() => _sweep.Dispose();

    private async Task<ApprovalRequest> ExpireIfDueAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        if (ApprovalRules.Expire(request, _time.GetUtcNow()) is null)
        {
            return request;
        }

        // The change expires it; the step itself then only reports the request as it stands.
        var result = await ChangeAsync(request.Id, (current, _) => ApprovalResult.Refused(current, ApprovalRefusal.WrongState, "not due"), cancellationToken).ConfigureAwait(false);
        return result.Request ?? request;
    }

    private async Task<ApprovalResult> ChangeAsync(string id, Func<ApprovalRequest, DateTimeOffset, ApprovalResult> step, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var current = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return ApprovalResult.Refused(null, ApprovalRefusal.NotFound, $"no approval request '{id}'");
            }

            // A request past its time is expired first, so no step ever acts on a stale request.
            var now = _time.GetUtcNow();
            var due = ApprovalRules.Expire(current, now);
            var result = due is null ? step(current, now) : ApprovalResult.Done(due);
            if (!result.Succeeded || result.Request is not { } updated)
            {
                return result;
            }

            if (await _store.TryReplaceAsync(updated, current.Version, cancellationToken).ConfigureAwait(false))
            {
                Announce(current, updated);
                if (due is null)
                {
                    return result;
                }
            }
        }

        throw new InvalidOperationException($"approval request '{id}' kept changing under {MaxConflictRetries} attempts to update it");
    }

    private void Announce(ApprovalRequest? before, ApprovalRequest after)
    {
        var approvalEvent = ApprovalEvent.Between(before, after);
        AnnounceHere(approvalEvent);
        foreach (var listener in _listeners)
        {
            listener.OnApprovalEvent(approvalEvent);
        }
    }

    private async Task SweepQuietlyAsync()
    {
        try
        {
            await ExpireDueAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
        {
            // The next sweep tries again; a request past its time is also expired whenever it is read or decided.
        }
    }
}
