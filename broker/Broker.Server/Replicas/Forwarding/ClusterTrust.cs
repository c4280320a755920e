using Broker.Identity.Cluster;

namespace Broker.Server.Replicas.Forwarding;

/// <summary>
/// This broker's share in the cluster credential: the forward assertions it issues and accepts, or none. The embedded
/// broker, and a replica without <c>server.replica.cluster_key_file</c>, have none: they forward nothing and refuse every
/// forwarded call.
/// </summary>
internal sealed class ClusterTrust(ClusterAssertions? assertions)
{
    /// <summary>No cluster key: forwarded calls are refused.</summary>
    public static ClusterTrust None { get; } = new(null);

    /// <summary>The assertions, or null without a cluster key.</summary>
    public ClusterAssertions? Assertions => assertions;

    /// <summary>The trust <c>server.replica.cluster_key_file</c> gives <paramref name="replicaId"/>; read at start, never logged.</summary>
    /// <exception cref="InvalidOperationException">The file (checked when the policy was loaded) can no longer be read or is too short.</exception>
    public static ClusterTrust FromKeyFile(string? path, string replicaId)
    {
        if (path is null)
        {
            return None;
        }

        byte[] key;
        try
        {
            key = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"server.replica cluster_key_file '{path}' cannot be read: {e.Message}", e);
        }

        return key.Length >= ClusterAssertions.MinimumKeyBytes
            ? new ClusterTrust(new ClusterAssertions(key, replicaId, TimeProvider.System))
            : throw new InvalidOperationException($"server.replica cluster_key_file '{path}' holds fewer than {ClusterAssertions.MinimumKeyBytes} bytes");
    }
}
