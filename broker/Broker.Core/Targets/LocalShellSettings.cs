namespace Broker.Core.Targets;

/// <summary>Configuration of a local shell target (validated before it gets here).</summary>
public sealed record LocalShellSettings
{
    /// <summary>Target name.</summary>
    public required string Name { get; init; }

    /// <summary>The shell program, by absolute path.</summary>
    public string Shell { get; init; } = "/bin/bash";

    /// <summary>Limits for sessions on this target.</summary>
    public Sessions.SessionLimits Limits { get; init; } = new();

    /// <summary>Arguments for an interactive shell (after argv[0]).</summary>
    public IReadOnlyList<string> InteractiveArguments { get; init; } = [];

    /// <summary>Working directory; null means the home directory of the account the programs run as.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// The directory the policy judges commands from: <see cref="WorkingDirectory"/>, else the configured HOME when it
    /// exists, else <c>/</c>. A session account's programs start in that account's home when no directory is configured.
    /// </summary>
    public string StartDirectory =>
        WorkingDirectory ?? (Environment.TryGetValue("HOME", out var home) && Directory.Exists(home) ? home : "/");

    /// <summary>The account the target's programs run as (the loader applies the configuration's rules; the default here is the broker's own).</summary>
    public Accounts.TargetAccount RunAs { get; init; } = new Accounts.TargetAccount.Broker { Reason = "no account was configured" };

    /// <summary>The default file mode creation mask: 077, what a session creates is its own.</summary>
    public static uint DefaultUmask { get; } = Convert.ToUInt32("077", 8);

    /// <summary>The file mode creation mask of the target's programs.</summary>
    public uint Umask { get; init; } = DefaultUmask;

    /// <summary>
    /// The whole environment the target's programs see, before session additions. The broker's
    /// own environment is never inherited: it may hold the broker's credentials.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = DefaultEnvironment();

    /// <summary>A minimal environment: PATH, HOME, LANG and the user names.</summary>
    public static IReadOnlyDictionary<string, string> DefaultEnvironment()
    {
        var home = System.Environment.GetEnvironmentVariable("HOME") ?? "/";
        var user = System.Environment.UserName;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = home,
            ["LANG"] = "C.UTF-8",
            ["USER"] = user,
            ["LOGNAME"] = user,
        };
    }
}
