namespace Broker.Policy;

/// <summary>What a target's <c>run_as</c> names.</summary>
public enum RunAsKind
{
    /// <summary>An account of its own for every session, from the broker's pool (the default).</summary>
    PerSession,

    /// <summary>The broker's own account: no operating-system boundary between sessions and the broker.</summary>
    Broker,

    /// <summary>One account, by name.</summary>
    Name,

    /// <summary>One account, by <c>uid:gid</c>.</summary>
    Ids,
}

/// <summary>What to do where the broker cannot switch accounts (it does not run as root).</summary>
public enum UnprivilegedBehaviour
{
    /// <summary>The broker does not start (the default: the boundary the policy asks for cannot be given).</summary>
    Refuse,

    /// <summary>The target runs as the broker's own account, with a warning at start.</summary>
    RunAsBroker,
}

/// <summary>
/// The account part of a target: <c>run_as</c>, <c>when_unprivileged</c>, <c>session_accounts</c> and <c>umask</c>.
/// Only syntax is checked here; the broker resolves names against the host when it loads the file.
/// </summary>
public sealed record TargetAccountDefinition
{
    /// <summary>What <c>run_as</c> names.</summary>
    public RunAsKind Kind { get; init; } = RunAsKind.PerSession;

    /// <summary>The account name (<see cref="RunAsKind.Name"/>).</summary>
    public string? Name { get; init; }

    /// <summary>The uid (<see cref="RunAsKind.Ids"/>).</summary>
    public uint Uid { get; init; }

    /// <summary>The gid (<see cref="RunAsKind.Ids"/>).</summary>
    public uint Gid { get; init; }

    /// <summary>Where <c>run_as</c> is (or the target, when it is not given), as <c>file:line:column</c>, for errors found later.</summary>
    public string Location { get; init; } = "";

    /// <summary>What to do where the broker cannot switch accounts.</summary>
    public UnprivilegedBehaviour WhenUnprivileged { get; init; } = UnprivilegedBehaviour.Refuse;

    /// <summary>Account name prefix of the per-session pool, or null for the default.</summary>
    public string? PoolPrefix { get; init; }

    /// <summary>First uid of the per-session pool, or null for the default.</summary>
    public uint? PoolFirstUid { get; init; }

    /// <summary>Number of accounts of the per-session pool, or null for the default.</summary>
    public int? PoolCount { get; init; }

    /// <summary>Root directory of the per-session pool (homes, leases), or null for the default.</summary>
    public string? PoolRoot { get; init; }

    /// <summary>The programs' file mode creation mask, or null for the default (077).</summary>
    public uint? Umask { get; init; }
}
