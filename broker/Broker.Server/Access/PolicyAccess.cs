using Broker.Policy;

namespace Broker.Server.Access;

/// <summary>A policy document and the engine built from it, swapped as one, with the SHA-256 of the text it was read from.</summary>
internal sealed record PolicySnapshot(PolicyDocument Document, PolicyEngine Engine, string Version);

/// <summary>Where a target's sessions start: the working directory and home directory their shell gets.</summary>
internal sealed record TargetPlace(string Target, string WorkingDirectory, string? Home);

/// <summary>
/// Access and command decisions from the policy file. The snapshot is immutable and swapped
/// atomically on reload, so a decision never sees half of an old file and half of a new one,
/// and sessions already open keep running.
/// </summary>
internal sealed class PolicyAccess : IAccessPolicy
{
    private readonly IReadOnlyList<string> _alwaysProtected;
    private readonly IReadOnlyList<TargetPlace> _places;
    private PolicySnapshot _current;

    /// <summary>
    /// Access from <paramref name="document"/>; every role also protects <paramref name="alwaysProtected"/> (the
    /// broker's data directory: its keys and recordings), and commands are decided where <paramref name="places"/>
    /// says each target's sessions start. <paramref name="version"/> identifies the policy text (its SHA-256).
    /// </summary>
    public PolicyAccess(PolicyDocument document, IReadOnlyList<string>? alwaysProtected = null, IReadOnlyList<TargetPlace>? places = null, string? version = null)
    {
        _alwaysProtected = alwaysProtected ?? [];
        _places = places ?? [];
        _current = new PolicySnapshot(document, new PolicyEngine(document, _alwaysProtected), version ?? UnknownVersion);
    }

    /// <summary>The version of a policy not read from text (built in a test).</summary>
    public const string UnknownVersion = "unversioned";

    public PolicySnapshot Current => Volatile.Read(ref _current);

    public string Version => Current.Version;

    public void Replace(PolicyDocument document, string version) => Volatile.Write(ref _current, new PolicySnapshot(document, new PolicyEngine(document, _alwaysProtected), version));

    public CommandContext ContextFor(string target) =>
        _places.FirstOrDefault(p => p.Target == target) is { } place ? CommandContext.At(place.WorkingDirectory, place.Home) : CommandContext.Unknown;

    public Decision DecideLine(IReadOnlyList<string> roles, CommandInput command)
    {
        var snapshot = Current;
        return ShellStateGuard.Apply(snapshot.Engine.Decide(RolesNamed(snapshot.Document, roles), command), snapshot.Engine, command);
    }

    public CommandContext ContextAfter(CommandInput command) => Current.Engine.ContextAfter(command);

    public AccessDecision Authorize(CallerIdentity caller, string target)
    {
        var document = Current.Document;
        var roles = document.ResolveRoles(caller);
        var access = document.CheckTarget(roles, target);
        return access.IsAllowed
            ? AccessDecision.Grant([.. access.Roles.Select(r => r.Name)])
            : AccessDecision.Deny(access.Message ?? $"you may not open target '{target}'");
    }

    public bool IsOperator(CallerIdentity caller) => Current.Document.IsOperator(caller);

    public bool IsObserver(CallerIdentity caller) => Current.Document.IsObserver(caller);

    public Decision Decide(IReadOnlyList<string> roles, CommandInput command)
    {
        var snapshot = Current;
        return snapshot.Engine.Decide(RolesNamed(snapshot.Document, roles), command);
    }

    public IReadOnlyList<RoleDefinition> Roles(IReadOnlyList<string> names) => RolesNamed(Current.Document, names);

    private static RoleDefinition[] RolesNamed(PolicyDocument document, IReadOnlyList<string> names) =>
        [.. document.Roles.Where(r => names.Contains(r.Name, StringComparer.Ordinal))];
}
