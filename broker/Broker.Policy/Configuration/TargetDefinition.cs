namespace Broker.Policy;

/// <summary>The kinds of target a session can open.</summary>
internal enum TargetKind
{
    /// <summary>A shell started by the broker on its own machine, over a PTY.</summary>
    LocalShell,

    /// <summary>An instance reached through AWS Systems Manager Session Manager.</summary>
    Ssm,
}

/// <summary>A named target.</summary>
public sealed record TargetDefinition
{
    /// <summary>The name clients ask for.</summary>
    public required string Name { get; init; }

    /// <summary>What kind of target it is.</summary>
    internal TargetKind Kind { get; init; } = TargetKind.LocalShell;

    /// <summary>For an <c>ssm</c> target: the instance, region, documents and role; null for a local shell.</summary>
    public SsmTargetDefinition? Ssm { get; init; }

    /// <summary>The shell program's path.</summary>
    public string Shell { get; init; } = "/bin/bash";

    /// <summary>Arguments for the shell.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>The shell's working directory, or null for the broker's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Extra environment variables.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How many sessions one identity may have open on this target at once.</summary>
    public int MaxSessionsPerIdentity { get; init; } = 4;

    /// <summary>A session with no input or output for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>A session is closed after this long.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(8);

    /// <summary>The account the target's programs run as (<c>run_as</c> and the keys that go with it).</summary>
    public TargetAccountDefinition Account { get; init; } = new();

    /// <summary>A session whose recording reaches this size is ended (sealed, with the reason). Default 1 GiB.</summary>
    public long MaxRecordingBytes { get; init; } = 1L << 30;
}
