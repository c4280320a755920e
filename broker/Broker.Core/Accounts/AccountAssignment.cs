using Broker.Core.Processes;
using Broker.Core.Sessions;

namespace Broker.Core.Accounts;

/// <summary>
/// The account one session's programs run as: the broker's own (<see cref="Account"/> null), a fixed account, or an
/// account leased for this session alone (released, and cleaned, when the session's processes are gone).
/// </summary>
internal sealed record AccountAssignment(SessionAccount? Account, AccountLease? Lease)
{
    private static readonly AccountAssignment s_broker = new(null, null);

    /// <summary>The numeric identity the spawn helper switches to, or null to stay the broker.</summary>
    public SpawnAccount? SpawnAccount => Account is null ? null : new SpawnAccount(Account.Uid, Account.Gid);

    /// <summary>Assigns the account <paramref name="runAs"/> names for a session of <paramref name="owner"/>.</summary>
    public static async Task<(AccountAssignment? Assignment, string? Error)> ForAsync(TargetAccount runAs, SessionOwner? owner, SpawnHelper helper, CancellationToken cancellationToken)
    {
        switch (runAs)
        {
            case TargetAccount.Fixed fixedAccount:
                return (new AccountAssignment(fixedAccount.Account, null), null);
            case TargetAccount.PerSession perSession:
                var (lease, error) = await SessionAccountPool.For(perSession.Settings)
                    .LeaseAsync(owner ?? new SessionOwner("", ""), helper, cancellationToken).ConfigureAwait(false);
                return lease is null ? (null, $"no account for the session: {error}") : (new AccountAssignment(lease.Account, lease), null);
            default:
                return (s_broker, null);
        }
    }

    /// <summary>
    /// Sets who the programs are (USER, LOGNAME), where their home is (HOME), their shell (SHELL) and, for a leased
    /// account, the session's private temporary directory (TMPDIR).
    /// </summary>
    public void Describe(Dictionary<string, string> environment, string shell)
    {
        environment["SHELL"] = shell;
        if (Account is null)
        {
            return;
        }

        environment["USER"] = Account.Name;
        environment["LOGNAME"] = Account.Name;
        environment["HOME"] = Account.Home;
        if (Lease is not null)
        {
            environment["TMPDIR"] = Lease.TemporaryDirectory;
        }
    }
}
