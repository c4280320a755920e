using Npgsql;

namespace Broker.Postgres;

/// <summary>
/// Which replicas are up and which sessions each one holds, shared in PostgreSQL: what lets any replica answer for a
/// session another one runs, and lets a replica tell "this session died with its replica" from "another replica
/// holds it". A replica registers at start, heartbeats, adds and removes its sessions; a replica whose heartbeat is
/// older than <see cref="DeadAfter"/> is dead, and <see cref="ReapAsync"/> removes it and its sessions (once, on
/// whichever replica gets there first) and returns those sessions so that what hung on them can be cleaned up.
/// </summary>
public sealed partial class ReplicaRegistry
{
    /// <summary>How long a replica may go without a heartbeat before it is taken for dead (many heartbeats, and any clock skew NTP leaves).</summary>
    public static readonly TimeSpan DefaultDeadAfter = TimeSpan.FromSeconds(30);

    // The session columns, in the order ReadSession reads them.
    private const string Columns = "id, replica_id, owner_issuer, owner_subject, target, started_at, kind, roles, term_columns, term_rows";

    private readonly NpgsqlDataSource _database;
    private readonly TimeProvider _time;

    /// <summary>A registry over <paramref name="database"/> (schema migrated), on <paramref name="time"/>.</summary>
    public ReplicaRegistry(NpgsqlDataSource database, TimeProvider time, TimeSpan? deadAfter = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(time);
        _database = database;
        _time = time;
        DeadAfter = deadAfter ?? DefaultDeadAfter;
    }

    /// <summary>How long without a heartbeat makes a replica dead.</summary>
    public TimeSpan DeadAfter { get; }

    /// <summary>Registers this replica (or renews a registration with the same id).</summary>
    public async Task RegisterAsync(string replicaId, string address, CancellationToken cancellationToken)
    {
        var now = Now();
        await ExecuteAsync(
            "INSERT INTO broker_replicas (id, address, started_at, heartbeat_at) VALUES (@id, @address, @now, @now) "
            + "ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, heartbeat_at = EXCLUDED.heartbeat_at",
            cancellationToken,
            ("id", replicaId),
            ("address", address),
            ("now", now)).ConfigureAwait(false);
    }

    /// <summary>Records that the replica is alive; false when it is no longer registered (it was reaped as dead and must register again).</summary>
    public async Task<bool> HeartbeatAsync(string replicaId, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE broker_replicas SET heartbeat_at = @now WHERE id = @id", cancellationToken, ("id", replicaId), ("now", Now())).ConfigureAwait(false) == 1;

    /// <summary>Removes this replica and every session it held (a clean stop).</summary>
    public Task UnregisterAsync(string replicaId, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM broker_replicas WHERE id = @id", cancellationToken, ("id", replicaId));

    /// <summary>Adds a session the replica now holds; false when the replica is not registered (it was reaped).</summary>
    public async Task<bool> AddSessionAsync(LiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return await ExecuteAsync(
            $"INSERT INTO live_sessions ({Columns}) "
            + "SELECT @id, @replica, @issuer, @subject, @target, @started, @kind, @roles, @columns, @rows WHERE EXISTS (SELECT 1 FROM broker_replicas WHERE id = @replica)",
            cancellationToken,
            ("id", session.Id),
            ("replica", session.ReplicaId),
            ("issuer", session.OwnerIssuer),
            ("subject", session.OwnerSubject),
            ("target", session.Target),
            ("started", session.StartedAt.ToUnixTimeMilliseconds()),
            ("kind", session.Details.Kind),
            ("roles", session.Details.Roles.ToArray()),
            ("columns", session.Details.Columns),
            ("rows", session.Details.Rows)).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Replaces what a list shows of a session this replica holds (its kind, roles, terminal size); false when the row
    /// is not this replica's or is gone. Called at the heartbeat for the sessions whose details changed.
    /// </summary>
    public async Task<bool> UpdateDetailsAsync(string sessionId, string replicaId, LiveSessionDetails details, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(details);
        return await ExecuteAsync(
            "UPDATE live_sessions SET kind = @kind, roles = @roles, term_columns = @columns, term_rows = @rows WHERE id = @id AND replica_id = @replica",
            cancellationToken,
            ("id", sessionId),
            ("replica", replicaId),
            ("kind", details.Kind),
            ("roles", details.Roles.ToArray()),
            ("columns", details.Columns),
            ("rows", details.Rows)).ConfigureAwait(false) == 1;
    }

    /// <summary>Removes a session that ended.</summary>
    public Task RemoveSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM live_sessions WHERE id = @id", cancellationToken, ("id", sessionId));

    /// <summary>Where <paramref name="sessionId"/> runs, or null when no replica holds it.</summary>
    public async Task<SessionLocation?> LocateAsync(string sessionId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync("s.id = @id", cancellationToken, ("id", sessionId)).ConfigureAwait(false);
        return rows.FirstOrDefault();
    }

    /// <summary>Every live session, or those of one owner, oldest first.</summary>
    public Task<List<SessionLocation>> ListAsync(string? ownerIssuer, string? ownerSubject, CancellationToken cancellationToken) =>
        ownerIssuer is null || ownerSubject is null
            ? QueryAsync("TRUE", cancellationToken)
            : QueryAsync("s.owner_issuer = @issuer AND s.owner_subject = @subject", cancellationToken, ("issuer", ownerIssuer), ("subject", ownerSubject));

    /// <summary>The sessions the registry says <paramref name="replicaId"/> holds, oldest first (what a replica reconciles against).</summary>
    public async Task<IReadOnlyList<LiveSession>> ListHeldAsync(string replicaId, CancellationToken cancellationToken) =>
        [.. (await QueryAsync("s.replica_id = @replica", cancellationToken, ("replica", replicaId)).ConfigureAwait(false)).Select(l => l.Session)];

    /// <summary>
    /// Removes every replica whose heartbeat is older than <see cref="DeadAfter"/>, with its sessions, and returns those
    /// sessions. Safe on several replicas at once: each dead replica's row is deleted by exactly one of them.
    /// </summary>
    public async Task<IReadOnlyList<LiveSession>> ReapAsync(CancellationToken cancellationToken)
    {
        var deadline = Now() - (long)DeadAfter.TotalMilliseconds;
        await using var command = _database.CreateCommand("""
            WITH dead AS (DELETE FROM broker_replicas WHERE heartbeat_at < @deadline RETURNING id)
            SELECT s.id, s.replica_id, s.owner_issuer, s.owner_subject, s.target, s.started_at, s.kind, s.roles, s.term_columns, s.term_rows
            FROM live_sessions s JOIN dead ON s.replica_id = dead.id
            """);
        command.Parameters.AddWithValue("deadline", deadline);
        var reaped = new List<LiveSession>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                reaped.Add(ReadSession(reader, 0));
            }
        }

        // The CTE saw the sessions as they were before the cascade removed them; the cascade runs at the end of the statement.
        return reaped;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<List<SessionLocation>> QueryAsync(string where, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = _database.CreateCommand(
            "SELECT s.id, s.replica_id, s.owner_issuer, s.owner_subject, s.target, s.started_at, s.kind, s.roles, s.term_columns, s.term_rows, "
            + "r.id, r.address, r.started_at, r.heartbeat_at "
            + $"FROM live_sessions s JOIN broker_replicas r ON r.id = s.replica_id WHERE {where} ORDER BY s.started_at, s.id");
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var deadline = Now() - (long)DeadAfter.TotalMilliseconds;
        var rows = new List<SessionLocation>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var holder = new ReplicaInfo(reader.GetString(10), reader.GetString(11), Time(reader.GetInt64(12)), Time(reader.GetInt64(13)));
            rows.Add(new SessionLocation(ReadSession(reader, 0), holder, reader.GetInt64(13) >= deadline));
        }

        return rows;
    }

    private static LiveSession ReadSession(NpgsqlDataReader reader, int first) => new()
    {
        Id = reader.GetString(first),
        ReplicaId = reader.GetString(first + 1),
        OwnerIssuer = reader.GetString(first + 2),
        OwnerSubject = reader.GetString(first + 3),
        Target = reader.GetString(first + 4),
        StartedAt = Time(reader.GetInt64(first + 5)),
        Details = new LiveSessionDetails(reader.GetString(first + 6), reader.GetFieldValue<string[]>(first + 7), reader.GetInt32(first + 8), reader.GetInt32(first + 9)),
    };

    private static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = _database.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
