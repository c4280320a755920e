namespace Broker.Core.Processes;

/// <summary>
/// The POSIX session a target's program leads: every process it starts stays in it (unless it
/// calls setsid), and all of them are killed together.
/// </summary>
internal sealed class ProcessSession
{
    private readonly ChildProcess _leader;
    private int _empty;

    public ProcessSession(ChildProcess leader) => _leader = leader;

    /// <summary>
    /// Kills every process of the session. Once the leader has been reaped and a scan found the
    /// session empty, later calls do nothing: nobody can join an empty session, and a scan after
    /// the leader's pid is free could only find an unrelated new session that reused it.
    /// </summary>
    public void KillAll()
    {
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
}
