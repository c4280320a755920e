namespace Broker.Server.Mcp.Relay;

/// <summary>
/// Limits of the MCP sessions that <c>agent-client mcp</c> opens through <see cref="McpRelayGrpcService"/>. Sessions
/// live in the broker's memory: they end after <see cref="IdleTimeout"/> without a call and when the broker stops.
/// </summary>
internal sealed record McpRelayOptions
{
    /// <summary>The defaults, with what the policy file's <c>server.mcp</c> section sets in their place.</summary>
    public static McpRelayOptions From(Broker.Policy.McpDefinition configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var options = new McpRelayOptions();
        return options with
        {
            IdleTimeout = configured.RelayIdleTimeout ?? options.IdleTimeout,
            MaxSessionsPerCaller = configured.RelaySessionsPerCaller ?? options.MaxSessionsPerCaller,
        };
    }

    /// <summary>How long a session with no call in flight lives after its last call.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How many sessions one identity (issuer and subject) may have open at once.</summary>
    public int MaxSessionsPerCaller { get; init; } = 8;

    /// <summary>
    /// Server messages (progress notifications) queued for one call before the tool that sends them waits for the
    /// relay to write them: back-pressure to a slow client rather than a queue that grows.
    /// </summary>
    public int MaxQueuedMessagesPerCall { get; init; } = 64;
}
