namespace Broker.Core.Processes;

/// <summary>
/// Every process a target's program starts, killed together: through the session's cgroup when it has one,
/// otherwise by the POSIX session id the program leads (which processes that call setsid leave).
/// </summary>
internal sealed class ProcessSession
{
    private readonly ChildProcess _leader;
    private readonly SessionCgroup? _cgroup;
    private int _empty;

    public ProcessSession(ChildProcess leader, SessionCgroup? cgroup)
    {
        _leader = leader;
        _cgroup = cgroup;
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

    /// <summary>Kills what is left and removes the session's cgroup once it is empty.</summary>
    public Task ReleaseAsync()
    {
        KillAll();
        return _cgroup?.RemoveAsync() ?? Task.CompletedTask;
    }
}
