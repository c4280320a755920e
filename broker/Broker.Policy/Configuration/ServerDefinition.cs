namespace Broker.Policy;

/// <summary>
/// How the broker itself runs, as written in the policy file's top-level <c>server</c> section: where
/// it listens and with which TLS material, what an unauthenticated caller may hold, and where the
/// recordings' limits lie. Read at start only (certificate files are watched and reloaded).
/// </summary>
public sealed record ServerDefinition
{
    /// <summary>Listen URLs (<c>--urls</c> overrides them); null for the default loopback address.</summary>
    public IReadOnlyList<string>? Urls { get; init; }

    /// <summary>Plaintext (h2c) on a non-loopback address was asked for explicitly: bearer tokens cross the network in clear.</summary>
    public bool AllowPlaintext { get; init; }

    /// <summary>The server's TLS certificate and key (and clients' CA), or null for no TLS.</summary>
    public TlsDefinition? Tls { get; init; }

    /// <summary>Connection and stream limits.</summary>
    public ConnectionLimitsDefinition Limits { get; init; } = new();

    /// <summary>Where recordings are signed and how much disk they may take.</summary>
    public RecordingStorageDefinition Recording { get; init; } = new();

    /// <summary>Approval settings for every role.</summary>
    public ServerApprovalsDefinition Approvals { get; init; } = new();

    /// <summary>Where shared state lives (<c>server.store</c>): the embedded SQLite store, or PostgreSQL.</summary>
    public StoreDefinition Store { get; init; } = new();

    /// <summary>This replica's identity and heartbeat (<c>server.replica</c>); used with a PostgreSQL store.</summary>
    public ReplicaDefinition Replica { get; init; } = new();

    /// <summary>The bounds of the MCP tools and relayed MCP sessions (<c>server.mcp</c>); unset keys keep their defaults.</summary>
    public McpDefinition Mcp { get; init; } = new();
}

/// <summary>The <c>server.approvals</c> section.</summary>
public sealed record ServerApprovalsDefinition
{
    /// <summary>Webhooks every approval event goes to, whatever the role (besides the role's own <c>approvers.webhooks</c>).</summary>
    public IReadOnlyList<WebhookDefinition> Webhooks { get; init; } = [];
}

/// <summary>The <c>server.tls</c> section: PEM files, reloaded when they change.</summary>
public sealed record TlsDefinition
{
    /// <summary>The server certificate (PEM; a chain may follow the leaf), absolute.</summary>
    public required string Certificate { get; init; }

    /// <summary>Its private key (PEM), absolute.</summary>
    public required string Key { get; init; }

    /// <summary>CA certificates (PEM) that client certificates must chain to; null for no client certificates.</summary>
    public string? ClientCa { get; init; }

    /// <summary>Refuse a connection whose client presents no certificate signed by <see cref="ClientCa"/> (mutual TLS).</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>How often the files are checked for a change, besides the file-system watcher.</summary>
    public TimeSpan ReloadInterval { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>The <c>server.limits</c> section; unset values are derived from the descriptor limit at start.</summary>
public sealed record ConnectionLimitsDefinition
{
    /// <summary>Connections open at once; beyond it new connections are closed at once.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Descriptors kept for sessions (terminals, pipes, recordings), never used by connections.</summary>
    public int? DescriptorReserve { get; init; }

    /// <summary>Connections that have not yet carried an authenticated call; beyond it the oldest such is closed.</summary>
    public int? MaxUnauthenticatedConnections { get; init; }

    /// <summary>A connection that has carried no authenticated call this long after it opened is closed.</summary>
    public TimeSpan UnauthenticatedTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Concurrent HTTP/2 streams (calls) per connection.</summary>
    public int MaxStreamsPerConnection { get; init; } = 100;

    /// <summary>How long a caller may take to send a request's headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>The <c>server.recording</c> section.</summary>
public sealed record RecordingStorageDefinition
{
    /// <summary>The recording signing key (PEM), absolute, or null for <c>recording-key.pem</c> in the data directory.</summary>
    public string? SigningKey { get; init; }

    /// <summary>Free bytes the data directory keeps: below it sessions end and new ones are refused.</summary>
    public long MinFreeBytes { get; init; } = 1L << 30;

    /// <summary>A recording that takes no bytes at all for this long ends its session.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The bucket recordings are copied to as they are signed, or null to keep them in the data directory only.</summary>
    public ObjectStoreDefinition? ObjectStore { get; init; }
}
