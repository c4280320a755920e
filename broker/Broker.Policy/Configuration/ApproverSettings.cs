namespace Broker.Policy;

/// <summary>Who approves a role's held commands.</summary>
public sealed record ApproverSettings
{
    /// <summary>Groups whose members may approve.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>How many distinct approvals a command needs.</summary>
    public int Quorum { get; init; } = 1;

    /// <summary>How long a held command waits before it expires (denied).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);
}
