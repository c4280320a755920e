using Broker.Approvals;
using Broker.Postgres;

namespace Broker.Server.Replicas;

/// <summary>
/// Which pending requests a replica withdraws when it starts. The embedded broker withdraws every request whose session
/// it does not hold; over a shared store that would withdraw the live requests of other replicas. A replica withdraws
/// only what its own previous run held (the registry lists running sessions and commands waiting for a decision).
/// </summary>
internal static class OrphanedApprovals
{
    /// <summary>
    /// Whether <paramref name="request"/> lost its session: held by this replica's previous run (same id), whose
    /// processes and waiting callers died with it. A session another replica holds is that replica's (if it is dead,
    /// the reaper withdraws the request). A request whose session no replica holds (an agent's <c>--no-wait</c> request,
    /// whose session ended when it returned) stays: the identical command may still use it on any replica, and it
    /// expires at its own timeout.
    /// </summary>
    public static bool IsOrphaned(ApprovalRequest request, SessionLocation? location, string replicaId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return location is not null && location.Session.ReplicaId == replicaId;
    }
}
