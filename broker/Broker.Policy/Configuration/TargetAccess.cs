namespace Broker.Policy;

/// <summary>Whether a set of roles may open a target.</summary>
public sealed class TargetAccess
{
    private TargetAccess(TargetDefinition? target, IReadOnlyList<RoleDefinition> roles, string? message)
    {
        Target = target;
        Roles = roles;
        Message = message;
    }

    /// <summary>True when the target exists and at least one role lists it.</summary>
    public bool IsAllowed => Target is not null;

    /// <summary>The target, when allowed.</summary>
    public TargetDefinition? Target { get; }

    /// <summary>The roles that grant the target: pass these to <see cref="PolicyEngine.Decide"/>.</summary>
    public IReadOnlyList<RoleDefinition> Roles { get; }

    /// <summary>Why access is denied (names only the target), or null.</summary>
    public string? Message { get; }

    internal static TargetAccess Allowed(TargetDefinition target, IReadOnlyList<RoleDefinition> roles) => new(target, roles, null);

    internal static TargetAccess Denied(string target) => new(null, [], $"access to target '{target}' is not permitted");
}
