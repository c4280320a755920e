namespace Broker.Postgres;

/// <summary>
/// Claims of a replica id by one process. Every process claims with an instance id (the broker keeps one per data
/// directory, so its own restart is the same instance); the registry
/// row of a replica id names the instance that holds it, and only that instance may heartbeat it, remove its session
/// rows or unregister it. Another process with the same id is refused while the holder's heartbeat is fresh (younger
/// than <see cref="DeadAfter"/>), and takes the id over once it is not (the holder died, or stopped heartbeating).
/// </summary>
public sealed partial class ReplicaRegistry
{
    /// <summary>
    /// Registers <paramref name="replicaId"/> for <paramref name="instance"/>, unless another instance holds it with a
    /// fresh heartbeat. Atomic: of several processes claiming a free id at once, one wins.
    /// </summary>
    public async Task<ReplicaClaim> ClaimAsync(string replicaId, string instance, string address, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(instance);
        for (var attempt = 0; ; attempt++)
        {
            var now = Now();
            var claimed = await ExecuteAsync(
                "INSERT INTO broker_replicas (id, address, started_at, heartbeat_at, instance) VALUES (@id, @address, @now, @now, @instance) "
                + "ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, heartbeat_at = EXCLUDED.heartbeat_at, instance = EXCLUDED.instance, "
                + "started_at = CASE WHEN broker_replicas.instance = EXCLUDED.instance THEN broker_replicas.started_at ELSE EXCLUDED.started_at END "
                + "WHERE broker_replicas.instance = EXCLUDED.instance OR broker_replicas.heartbeat_at < @deadline",
                cancellationToken,
                ("id", replicaId),
                ("address", address),
                ("now", now),
                ("instance", instance),
                ("deadline", now - (long)DeadAfter.TotalMilliseconds)).ConfigureAwait(false);
            if (claimed == 1)
            {
                return ReplicaClaim.Granted;
            }

            if (await HolderAsync(replicaId, cancellationToken).ConfigureAwait(false) is { } holder)
            {
                return new ReplicaClaim(false, holder.Instance, holder.HeartbeatAt, holder.HeartbeatAt + DeadAfter);
            }

            // The holder was reaped or unregistered between the two statements: claim again.
            if (attempt == 3)
            {
                throw new InvalidOperationException($"the registry row of replica '{replicaId}' kept changing while it was claimed");
            }
        }
    }

    /// <summary>Records that <paramref name="instance"/> still holds <paramref name="replicaId"/>, and says whether it does.</summary>
    public async Task<ReplicaBeat> HeartbeatAsync(string replicaId, string instance, CancellationToken cancellationToken)
    {
        if (await ExecuteAsync(
                "UPDATE broker_replicas SET heartbeat_at = @now WHERE id = @id AND instance = @instance",
                cancellationToken,
                ("id", replicaId),
                ("instance", instance),
                ("now", Now())).ConfigureAwait(false) == 1)
        {
            return ReplicaBeat.Held;
        }

        return await HolderAsync(replicaId, cancellationToken).ConfigureAwait(false) is null ? ReplicaBeat.Reaped : ReplicaBeat.TakenOver;
    }

    /// <summary>Removes the registry's session rows of <paramref name="replicaId"/> while <paramref name="instance"/> holds it (a restart clears its previous run's rows).</summary>
    public Task RemoveSessionsAsync(string replicaId, string instance, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "DELETE FROM live_sessions WHERE replica_id = @id AND EXISTS (SELECT 1 FROM broker_replicas WHERE id = @id AND instance = @instance)",
            cancellationToken,
            ("id", replicaId),
            ("instance", instance));

    /// <summary>Removes <paramref name="replicaId"/> and its sessions if <paramref name="instance"/> still holds it (a clean stop).</summary>
    public Task UnregisterAsync(string replicaId, string instance, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM broker_replicas WHERE id = @id AND instance = @instance", cancellationToken, ("id", replicaId), ("instance", instance));

    private async Task<(string Instance, DateTimeOffset HeartbeatAt)?> HolderAsync(string replicaId, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand("SELECT instance, heartbeat_at FROM broker_replicas WHERE id = @id");
        command.Parameters.AddWithValue("id", replicaId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetString(0), Time(reader.GetInt64(1))) : null;
    }
}

/// <summary>The answer to a claim of a replica id.</summary>
/// <param name="Claimed">True when this instance now holds the id.</param>
/// <param name="Holder">The instance that holds it instead.</param>
/// <param name="HeartbeatAt">The holder's last heartbeat.</param>
/// <param name="DeadAt">When the holder would be taken for dead if it stayed silent.</param>
public sealed record ReplicaClaim(bool Claimed, string? Holder, DateTimeOffset? HeartbeatAt, DateTimeOffset? DeadAt)
{
    /// <summary>The claim that succeeded.</summary>
    public static ReplicaClaim Granted { get; } = new(true, null, null, null);
}

/// <summary>What a heartbeat found.</summary>
public enum ReplicaBeat
{
    /// <summary>This instance holds the id; the heartbeat is recorded.</summary>
    Held,

    /// <summary>The id is not registered any more (reaped while silent): register again.</summary>
    Reaped,

    /// <summary>Another instance took the id over after this one fell silent: this process must stop serving as it.</summary>
    TakenOver,
}
