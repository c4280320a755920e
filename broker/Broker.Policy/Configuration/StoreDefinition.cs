namespace Broker.Policy;

/// <summary>
/// The <c>server.store</c> section: where the broker's shared state lives. Without it (and always with <c>serve --dev</c>
/// and no policy file) the broker keeps its state in SQLite and files in the data directory.
/// </summary>
public sealed record StoreDefinition
{
    /// <summary>The PostgreSQL database that replicas share, or null for the embedded SQLite store.</summary>
    public PostgresDefinition? Postgres { get; init; }
}

/// <summary>
/// The <c>server.store.postgres</c> section. The password is never written in the policy file: it comes from
/// <see cref="PasswordFile"/> or <see cref="PasswordEnvironmentVariable"/>, read when the broker starts, so that this
/// record (and anything that prints it) never holds it.
/// </summary>
public sealed record PostgresDefinition
{
    /// <summary>An Npgsql connection string without a password, or null when the fields below are used.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The server's host name, address or Unix socket directory.</summary>
    public string? Host { get; init; }

    /// <summary>The server's port; null for PostgreSQL's default.</summary>
    public int? Port { get; init; }

    /// <summary>The database.</summary>
    public string? Database { get; init; }

    /// <summary>The user the broker connects as.</summary>
    public string? User { get; init; }

    /// <summary>A file holding the password (absolute; trailing line breaks are not part of it), or null.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>An environment variable holding the password, or null.</summary>
    public string? PasswordEnvironmentVariable { get; init; }
}

/// <summary>The <c>server.replica</c> section: who this broker is among the replicas sharing one store.</summary>
public sealed record ReplicaDefinition
{
    /// <summary>The default heartbeat interval.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>The default silence after which a replica is taken for dead.</summary>
    public static readonly TimeSpan DefaultDeadAfter = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The replica's stable identity, or null for the host name. A replica restarted with the same id repairs what its
    /// previous run left (its sessions' rows, their pending approvals); two running replicas must never share one.
    /// </summary>
    public string? Id { get; init; }

    /// <summary>The URL other replicas reach this one at, or null for its first listen address.</summary>
    public string? Advertise { get; init; }

    /// <summary>How often the replica heartbeats, reconciles its sessions in the registry and reaps dead replicas.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = DefaultHeartbeatInterval;

    /// <summary>How long a replica may be silent before others reap it (and end its sessions in the registry).</summary>
    public TimeSpan DeadAfter { get; init; } = DefaultDeadAfter;

    /// <summary>
    /// The file holding the cluster key (absolute), or null: the secret every replica is given, under which replicas
    /// sign the assertions of calls they forward to each other. Without it a replica neither forwards nor accepts
    /// forwarded calls. Read at start, never logged.
    /// </summary>
    public string? ClusterKeyFile { get; init; }
}
