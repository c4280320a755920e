using Broker.Policy;

namespace Broker.Server.Access;

/// <summary>What a caller may open and see, and what its commands may do, from the current policy snapshot.</summary>
internal interface IAccessPolicy
{
    /// <summary>The caller's roles for <paramref name="target"/>, or a refusal that names only the target.</summary>
    AccessDecision Authorize(CallerIdentity caller, string target);

    /// <summary>Operators see and may terminate every session.</summary>
    bool IsOperator(CallerIdentity caller);

    /// <summary>Observers may watch sessions and read recordings, but change nothing.</summary>
    bool IsObserver(CallerIdentity caller);

    /// <summary>Decides a command for a session holding <paramref name="roles"/>.</summary>
    Decision Decide(IReadOnlyList<string> roles, CommandInput command);

    /// <summary>A command typed in a line-mode session: decided, then refused if it touches the shell state line mode relies on.</summary>
    Decision DecideLine(IReadOnlyList<string> roles, CommandInput command);

    /// <summary>Where <paramref name="target"/>'s sessions start (relative paths and <c>~</c> are resolved there).</summary>
    CommandContext ContextFor(string target);

    /// <summary>Where a shell may be after <paramref name="command"/> ran (its <c>cd</c>s followed).</summary>
    CommandContext ContextAfter(CommandInput command);

    /// <summary>The current snapshot's version (the SHA-256 of the policy text): approvals are bound to it.</summary>
    string Version { get; }

    /// <summary>The definitions of the named roles in the current snapshot.</summary>
    IReadOnlyList<RoleDefinition> Roles(IReadOnlyList<string> names);
}

/// <summary>Roles granted for a target, or why not.</summary>
internal sealed record AccessDecision(IReadOnlyList<string> Roles, string? Denial)
{
    public bool Allowed => Denial is null;

    public static AccessDecision Grant(IReadOnlyList<string> roles) => new(roles, null);

    public static AccessDecision Deny(string denial) => new([], denial);
}
