namespace Broker.Core.Processes;

/// <summary>
/// How target programs are started and kept together so that each session's can all be killed: every program is
/// started by the spawn helper, in a cgroup per session when the host allows it, under the POSIX session id
/// otherwise. Chosen once, when the broker starts.
/// </summary>
public sealed class ProcessContainment : IDisposable
{
    private static readonly Lazy<ProcessContainment> s_bySessionId = new(() => new(null, new SpawnHelper(), SessionIdDescription));

    private const string SessionIdDescription = "POSIX session id (processes that call setsid escape)";

    private readonly CgroupTree? _cgroups;

    private ProcessContainment(CgroupTree? cgroups, SpawnHelper helper, string description)
    {
        _cgroups = cgroups;
        Helper = helper;
        Description = description;
    }

    /// <summary>
    /// Containment by POSIX session id with a spawn helper of its own, started at the first spawn and never stopped
    /// (it exits with the process): for tools and tests that start programs without a broker.
    /// </summary>
    public static ProcessContainment BySessionId => s_bySessionId.Value;

    /// <summary>What is in use, for the start-up log.</summary>
    public string Description { get; }

    /// <summary>The helper that starts this containment's programs (and cleans session accounts).</summary>
    internal SpawnHelper Helper { get; }

    /// <summary>Whether sessions get their own cgroup.</summary>
    public bool UsesCgroups => _cgroups is not null;

    /// <summary>The directory holding the session cgroups, when there is one.</summary>
    public string? CgroupBranch => _cgroups?.Branch;

    /// <summary>The session cgroup made ahead for the next spawn, if there is one now: no session's yet.</summary>
    internal string? SpareCgroup => _cgroups?.Spare;

    /// <summary>
    /// Starts the spawn helper and sets up containment for <paramref name="mode"/>. <see cref="ContainmentMode.Auto"/>
    /// falls back to session ids and says why in <c>Fallback</c>; <see cref="ContainmentMode.Cgroup"/> fails with the
    /// reason instead. A helper that cannot start fails every mode: no program could be started.
    /// </summary>
    /// <param name="mode">How sessions are to be contained.</param>
    /// <returns>The containment, or the error; with <see cref="ContainmentMode.Auto"/>, why it fell back, if it did.</returns>
    public static (ProcessContainment? Containment, string? Error, string? Fallback) Create(ContainmentMode mode) => Create(mode, null);

    /// <summary>As <see cref="Create(ContainmentMode)"/>, with a helper of the caller's (a test's); null starts one.</summary>
    internal static (ProcessContainment? Containment, string? Error, string? Fallback) Create(ContainmentMode mode, SpawnHelper? helper)
    {
        helper ??= new SpawnHelper();
        if (helper.EnsureStarted() is { } helperError)
        {
            helper.Dispose();
            return (null, helperError, null);
        }

        if (mode == ContainmentMode.SessionId)
        {
            return (new ProcessContainment(null, helper, SessionIdDescription), null, null);
        }

        var (tree, error) = CgroupTree.TryCreate(helper);
        if (tree is not null)
        {
            return (new ProcessContainment(tree, helper, $"a cgroup per session under {tree.Branch}"), null, null);
        }

        if (mode == ContainmentMode.Cgroup)
        {
            helper.Dispose();
            return (null, $"cgroup containment is unavailable: {error}", null);
        }

        return (new ProcessContainment(null, helper, SessionIdDescription), null, error);
    }

    /// <summary>Starts a program inside this containment.</summary>
    internal ContainedSpawn Spawn(SpawnRequest request, SpawnStdio stdio) =>
        _cgroups is not null ? _cgroups.Spawn(Helper, request, stdio) : new(Helper.Spawn(request, stdio, null), null);

    /// <summary>Stops the spawn helper and removes the cgroup branch.</summary>
    public void Dispose()
    {
        _cgroups?.Dispose();
        Helper.Dispose();
    }
}
