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

    /// <summary>
    /// What a list shows of it beyond its owner and target (kind, roles, terminal size), so that a session held elsewhere
    /// lists as its holder lists it. Kept up to date at the holder's heartbeat, not on the data path.
    /// </summary>
    public LiveSessionDetails Details { get; init; } = LiveSessionDetails.None;
}

/// <summary>The kind, roles and terminal size of a live session as the registry carries them (migration 6).</summary>
/// <param name="Kind">"interactive" or "exec"; empty for a command still waiting for a decision before its session opens.</param>
/// <param name="Roles">The roles the session runs with, in the order the holder lists them.</param>
/// <param name="Columns">The terminal's width in cells (interactive sessions; 0 otherwise).</param>
/// <param name="Rows">The terminal's height in cells (interactive sessions; 0 otherwise).</param>
public sealed record LiveSessionDetails(string Kind, IReadOnlyList<string> Roles, int Columns, int Rows)
{
    /// <summary>Nothing known beyond the owner and target (a row written before migration 6, or a command waiting to open).</summary>
    public static LiveSessionDetails None { get; } = new(string.Empty, [], 0, 0);

    /// <summary>Equal when every field is, the roles compared in order.</summary>
    public bool Equals(LiveSessionDetails? other) =>
        other is not null && Kind == other.Kind && Columns == other.Columns && Rows == other.Rows && Roles.SequenceEqual(other.Roles, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Columns, Rows, Roles.Count);
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
