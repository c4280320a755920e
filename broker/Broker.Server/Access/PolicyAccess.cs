using Broker.Policy;
using Tokens = Broker.Identity.Tokens;

namespace Broker.Server.Access;

/// <summary>
/// Access decisions from the policy file. The document is an immutable snapshot swapped
/// atomically on reload, so a decision never sees half of an old file and half of a new one.
/// </summary>
internal sealed class PolicyAccess : IAccessPolicy
{
    private PolicyDocument _current;

    public PolicyAccess(PolicyDocument document)
    {
        _current = document;
    }

    public PolicyDocument Current => Volatile.Read(ref _current);

    public void Replace(PolicyDocument document) => Volatile.Write(ref _current, document);

    public AccessDecision Authorize(Tokens.CallerIdentity caller, string target)
    {
        var document = Current;
        var roles = document.ResolveRoles(ToPolicy(caller));
        var access = document.CheckTarget(roles, target);
        return access.IsAllowed
            ? AccessDecision.Grant([.. access.Roles.Select(r => r.Name)])
            : AccessDecision.Deny(access.Message ?? $"you may not open target '{target}'");
    }

    public bool IsOperator(Tokens.CallerIdentity caller) => Current.IsOperator(ToPolicy(caller));

    public static CallerIdentity ToPolicy(Tokens.CallerIdentity caller) => new(caller.Issuer, caller.Subject, caller.Claims);
}
