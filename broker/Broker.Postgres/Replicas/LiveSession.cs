namespace Broker.Postgres;

/// <summary>A running session as the registry knows it: who owns it, and which replica holds its process.</summary>
public sealed record LiveSession
{
    /// <summary>The session id.</summary>
    public required string Id { get; init; }

    /// <summary>The replica whose process runs the session (list, attach and terminate are forwarded there).</summary>
    public required string ReplicaId { get; init; }

    /// <summary>The owner's token issuer.</summary>
    public required string OwnerIssuer { get; init; }

    /// <summary>The owner's subject.</summary>
    public required string OwnerSubject { get; init; }

    /// <summary>The target it runs on.</summary>
    public required string Target { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }
}

/// <summary>A replica as the registry knows it.</summary>
/// <param name="Id">Its id (unique per process start).</param>
/// <param name="Address">Where other replicas reach it (its gRPC URL).</param>
/// <param name="StartedAt">When it registered.</param>
/// <param name="HeartbeatAt">Its last heartbeat.</param>
public sealed record ReplicaInfo(string Id, string Address, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt);

/// <summary>Where a session runs, and whether the replica holding it is alive.</summary>
/// <param name="Session">The session.</param>
/// <param name="Holder">The replica holding it.</param>
/// <param name="HolderAlive">Whether the holder's last heartbeat is recent enough to trust it.</param>
public sealed record SessionLocation(LiveSession Session, ReplicaInfo Holder, bool HolderAlive);
