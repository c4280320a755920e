namespace Broker.Approvals;

/// <summary>
/// What a session's policy gate submits when a command's decision is <c>review</c>; an <see cref="ApprovalRequest"/>
/// is this plus its id, times, state and decisions.
/// </summary>
public record ApprovalSpec
{
    /// <summary>The session the command was typed in.</summary>
    public required string SessionId { get; init; }

    /// <summary>The session's target.</summary>
    public required string Target { get; init; }

    /// <summary>The role whose rules decided <c>review</c>.</summary>
    public required string Role { get; init; }

    /// <summary>The identity that asked to run the command.</summary>
    public required ApprovalParty Requester { get; init; }

    /// <summary>The exact command as the target will receive it (the canonical form the policy decided).</summary>
    public required string Command { get; init; }

    /// <summary>Identifies the policy snapshot that decided (the policy file's SHA-256), part of the binding.</summary>
    public required string PolicyVersion { get; init; }

    /// <summary>The rule that decided <c>review</c>.</summary>
    public string? RuleId { get; init; }

    /// <summary>The rule's reason.</summary>
    public required string Reason { get; init; }

    /// <summary>The programs the parser found.</summary>
    public IReadOnlyList<string> Programs { get; init; } = [];

    /// <summary>The AWS actions the parser found.</summary>
    public IReadOnlyList<string> AwsActions { get; init; } = [];

    /// <summary>Who may approve, from the role.</summary>
    public required ApprovalRequirements Requirements { get; init; }

    /// <summary>The hash that binds this command to its target, role and policy snapshot (see <see cref="CommandBinding"/>).</summary>
    public string Binding => CommandBinding.Compute(Command, Target, Role, PolicyVersion);
}
