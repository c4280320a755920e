namespace Broker.Policy;

/// <summary>The outcome for a command, ordered from most to least permissive.</summary>
public enum Verdict
{
    /// <summary>The command runs.</summary>
    Allow = 0,

    /// <summary>The command is held for human approval.</summary>
    Review = 1,

    /// <summary>The command never reaches the target.</summary>
    Deny = 2,
}
