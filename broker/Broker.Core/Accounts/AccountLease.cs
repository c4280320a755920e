using Broker.Core.Processes;

namespace Broker.Core.Accounts;

/// <summary>
/// A session's hold on its account. Releasing it (once nothing of the session runs any more) cleans the account (its
/// processes killed, its home emptied) and gives it back to the pool; an account that could not be cleaned goes back
/// marked unclean and is cleaned in full before its next use. The cleaner process is skipped when the session's
/// cgroup was removed empty (no process of the account is left: every one is born in a session's cgroup and cannot
/// leave it) and the home is as cleaning leaves it.
/// </summary>
internal sealed class AccountLease : IAsyncDisposable
{
    private readonly SessionAccountPool _pool;
    private readonly LeaseFile _file;
    private readonly string _identity;
    private readonly SpawnHelper _helper;
    private int _released;

    public AccountLease(SessionAccountPool pool, SessionAccount account, LeaseFile file, string identity, SpawnHelper helper)
    {
        _pool = pool;
        _file = file;
        _identity = identity;
        _helper = helper;
        Account = account;
    }

    public SessionAccount Account { get; }

    /// <summary>The session's private temporary directory (TMPDIR), inside its home.</summary>
    public string TemporaryDirectory => Path.Combine(Account.Home, "tmp");

    /// <summary>Cleans the account as the account and gives it back: nothing is known about what the session left.</summary>
    public ValueTask DisposeAsync() => ReleaseAsync(processesGone: false);

    /// <summary>
    /// Gives the account back. <paramref name="processesGone"/>: the session's cgroup was removed empty, so nothing
    /// runs as the account; a pristine home then needs no cleaner.
    /// </summary>
    public async ValueTask ReleaseAsync(bool processesGone)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        var problem = processesGone && PristineHome.Holds(Account)
            ? null
            : await AccountCleaning.CleanAsync(_helper, Account, sweep: false).ConfigureAwait(false);
        _pool.Release(Account.Uid, _file, problem is null ? _pool.Now(LeaseStatus.Clean, _identity) : null);
    }
}
