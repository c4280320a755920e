using Broker.Core.Processes;

namespace Broker.Core.Accounts;

/// <summary>
/// A session's hold on its account. Disposing it (once nothing of the session runs any more) cleans the account (its
/// processes killed, its home emptied) and gives it back to the pool; an account that could not be cleaned goes back
/// marked unclean and is cleaned in full before its next use.
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

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        var problem = await AccountCleaning.CleanAsync(_helper, Account, sweep: false).ConfigureAwait(false);
        _pool.Release(Account.Uid, _file, problem is null ? _pool.Now(LeaseStatus.Clean, _identity) : null);
    }
}
