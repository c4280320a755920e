using Broker.Policy;

namespace Broker.Server.Replicas;

/// <summary>Who this broker is among the replicas sharing one store, resolved at start from <c>server.replica</c>.</summary>
/// <param name="Id">Its stable id (the configured one, or the host name).</param>
/// <param name="Advertise">The URL other replicas reach it at, or null until its first bound address is known.</param>
/// <param name="HeartbeatInterval">How often it heartbeats, reconciles and reaps.</param>
/// <param name="DeadAfter">How long a silent replica lives on in the registry.</param>
/// <param name="Instance">
/// The instance claiming <paramref name="Id"/> (<see cref="ReplicaInstance"/>: one per data directory, kept across
/// restarts): the registry row of the id names the instance that holds it, so a process started with the same id
/// elsewhere is told apart from this replica's own previous run.
/// </param>
internal sealed record ReplicaIdentity(string Id, string? Advertise, TimeSpan HeartbeatInterval, TimeSpan DeadAfter, string Instance)
{
    /// <summary>The identity <paramref name="replica"/> describes for <paramref name="instance"/>; an unset id is the host name.</summary>
    public static ReplicaIdentity From(ReplicaDefinition replica, string instance)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return new ReplicaIdentity(replica.Id ?? Environment.MachineName, replica.Advertise, replica.HeartbeatInterval, replica.DeadAfter, instance);
    }
}
