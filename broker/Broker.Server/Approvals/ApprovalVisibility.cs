using Broker.Approvals;
using Broker.Policy;
using Broker.Server.Access;

namespace Broker.Server.Approvals;

/// <summary>
/// Who sees a request: its requester, anyone in one of its approver groups (who may decide it), and operators and
/// observers. Everyone else is told it does not exist, so request ids reveal nothing about other identities' work.
/// </summary>
internal sealed class ApprovalVisibility(IAccessPolicy access)
{
    public bool SeesAll(CallerIdentity caller) => access.IsOperator(caller) || access.IsObserver(caller);

    public static bool CanSee(CallerIdentity caller, ApprovalRequest request, bool seesAll) =>
        seesAll
        || (request.Requester.Issuer == caller.Issuer && request.Requester.Subject == caller.Subject)
        || (caller.Claims.TryGetValue("groups", out var groups) && request.Requirements.Groups.Any(g => groups.Contains(g, StringComparer.Ordinal)));
}
