using Broker.Core.Accounts;

namespace Broker.Core.Processes;

/// <summary>
/// Every process a target's program starts, killed together: through the session's cgroup when it has one,
/// otherwise by the POSIX session id the program leads (which processes that call setsid leave). A session account
/// leased for the session is released last, when nothing of the session runs any more.
/// </summary>
internal sealed class ProcessSession
{
    private readonly ChildProcess _leader;
    private readonly SessionCgroup? _cgroup;
    private readonly AccountLease? _account;
    private int _empty;

    public ProcessSession(ChildProcess leader, SessionCgroup? cgroup, AccountLease? account)
    {
        _leader = leader;
        _cgroup = cgroup;
        _account = account;
    }

    /// <summary>
    /// Kills every process of the session. Without a cgroup, once the leader has been reaped and a scan found the
    /// session empty, later calls do nothing: nobody can join an empty session, and a scan after the leader's pid
    /// is free could only find an unrelated new session that reused it.
    /// </summary>
    public void KillAll()
    {
        if (_cgroup is not null && _cgroup.Kill())
        {
            return;
        }

        if (Volatile.Read(ref _empty) != 0)
        {
            return;
        }

        var leaderReaped = _leader.Exited.IsCompleted;
        if (SessionKiller.KillSession(_leader.ProcessId) && leaderReaped)
        {
            Volatile.Write(ref _empty, 1);
        }
    }

    /// <summary>Kills what is left, removes the session's cgroup once it is empty, and releases the session's account.</summary>
    public async Task ReleaseAsync()
    {
        KillAll();
        // A removed cgroup held no process, and none can enter it any more: nothing of the session runs as its account.
        var processesGone = _cgroup is not null && await _cgroup.RemoveAsync().ConfigureAwait(false);
        if (_account is not null)
        {
            await _account.ReleaseAsync(processesGone).ConfigureAwait(false);
        }
    }
}
