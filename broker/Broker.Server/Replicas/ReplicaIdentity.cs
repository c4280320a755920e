using System.Security.Cryptography;
using Broker.Policy;

namespace Broker.Server.Replicas;

/// <summary>Who this broker is among the replicas sharing one store, resolved at start from <c>server.replica</c>.</summary>
/// <param name="Id">Its stable id (the configured one, or the host name).</param>
/// <param name="Advertise">The URL other replicas reach it at, or null until its first bound address is known.</param>
/// <param name="HeartbeatInterval">How often it heartbeats, reconciles and reaps.</param>
/// <param name="DeadAfter">How long a silent replica lives on in the registry.</param>
internal sealed record ReplicaIdentity(string Id, string? Advertise, TimeSpan HeartbeatInterval, TimeSpan DeadAfter)
{
    // One per process: the start-up claim (before the host is built) and the membership (in the host) are one instance.
    private static readonly string ProcessInstance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// This process's own id, random for every start: the registry row of <see cref="Id"/> names the instance that
    /// holds it, so a second process started with the same <see cref="Id"/> can tell a live holder from its own previous run.
    /// </summary>
    public string Instance { get; init; } = ProcessInstance;

    /// <summary>The identity <paramref name="replica"/> describes; an unset id is the host name.</summary>
    public static ReplicaIdentity From(ReplicaDefinition replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return new ReplicaIdentity(replica.Id ?? Environment.MachineName, replica.Advertise, replica.HeartbeatInterval, replica.DeadAfter);
    }
}
