namespace Broker.Core.Processes;

/// <summary>
/// Where target sessions' processes are kept so that each session's can all be killed: a cgroup per session when
/// the host allows it, the POSIX session id otherwise. Chosen once, when the broker starts.
/// </summary>
internal sealed class ProcessContainment : IDisposable
{
    private readonly CgroupTree? _cgroups;

    private ProcessContainment(CgroupTree? cgroups, string description)
    {
        _cgroups = cgroups;
        Description = description;
    }

    /// <summary>Containment by POSIX session id: needs nothing from the host; processes that call setsid escape it.</summary>
    public static ProcessContainment BySessionId { get; } = new(null, "POSIX session id (processes that call setsid escape)");

    /// <summary>What is in use, for the start-up log.</summary>
    public string Description { get; }

    /// <summary>Whether sessions get their own cgroup.</summary>
    public bool UsesCgroups => _cgroups is not null;

    /// <summary>The directory holding the session cgroups, when there is one.</summary>
    public string? CgroupBranch => _cgroups?.Branch;

    /// <summary>
    /// Sets up containment for <paramref name="mode"/>. <see cref="ContainmentMode.Auto"/> falls back to session ids
    /// and says why in <c>Fallback</c>; <see cref="ContainmentMode.Cgroup"/> fails with the reason instead.
    /// </summary>
    public static (ProcessContainment? Containment, string? Error, string? Fallback) Create(ContainmentMode mode)
    {
        if (mode == ContainmentMode.SessionId)
        {
            return (BySessionId, null, null);
        }

        var (tree, error) = CgroupTree.TryCreate();
        if (tree is not null)
        {
            return (new ProcessContainment(tree, $"a cgroup per session under {tree.Branch}"), null, null);
        }

        return mode == ContainmentMode.Cgroup
            ? (null, $"cgroup containment is unavailable: {error}", null)
            : (BySessionId, null, error);
    }

    /// <summary>Starts a program through <paramref name="spawn"/> inside this containment.</summary>
    public ContainedSpawn Spawn(Func<SpawnResult> spawn)
    {
        if (_cgroups is not null)
        {
            return _cgroups.Spawn(spawn);
        }

        lock (CgroupTree.SpawnLock)
        {
            return new(spawn(), null);
        }
    }

    public void Dispose() => _cgroups?.Dispose();
}
