namespace Broker.Policy;

/// <summary>How a role's sessions treat the terminal.</summary>
public enum TerminalMode
{
    /// <summary>Commands are reconstructed from the input and decided before they reach the shell.</summary>
    Line,

    /// <summary>Keystrokes pass through; commands are reconstructed and recorded as audited, not enforced.</summary>
    Raw,
}

/// <summary>A role: the targets it opens, its AWS settings, masking, approvers and command rules.</summary>
public sealed record RoleDefinition
{
    /// <summary>The role's name.</summary>
    public required string Name { get; init; }

    /// <summary>Target names or globs this role may open.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Line (enforced) or raw (audited) terminal.</summary>
    public TerminalMode Terminal { get; init; } = TerminalMode.Line;

    /// <summary>The verdict when no rule matches a program: deny or review, never allow.</summary>
    public Verdict Default { get; init; } = Verdict.Deny;

    /// <summary>AWS credentials for the role's sessions, or null for none.</summary>
    public AwsRoleSettings? Aws { get; init; }

    /// <summary>Masking settings, or null for the defaults.</summary>
    public RoleMaskingSettings? Masking { get; init; }

    /// <summary>Who approves commands held for review, or null when nobody can (review then behaves as deny).</summary>
    public ApproverSettings? Approvers { get; init; }

    /// <summary>
    /// Paths no command of the role may read, write, list or recurse into, whatever the program (patterns with
    /// <c>*</c>, <c>?</c>, <c>**</c>, starting with <c>/</c>, <c>~/</c> or <c>**/</c>).
    /// </summary>
    public IReadOnlyList<string> ProtectedPaths { get; init; } = [];

    /// <summary>The command rules, in file order.</summary>
    internal IReadOnlyList<PolicyRule> Rules { get; init; } = [];
}
