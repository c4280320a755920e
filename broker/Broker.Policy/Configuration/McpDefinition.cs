namespace Broker.Policy;

/// <summary>
/// The <c>server.mcp</c> section: the bounds of the MCP tools and of the relayed MCP sessions. A key left out keeps
/// the broker's default (docs/mcp.md, "Limits"), so null means "not set".
/// </summary>
public sealed record McpDefinition
{
    /// <summary>The longest <c>timeout_seconds</c> a <c>run</c> may ask for when <c>max_run_timeout</c> is not set: clients drop tool calls that block much longer.</summary>
    public static readonly TimeSpan DefaultMaxRunTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Bytes of stdout and of stderr each that <c>run</c> returns (<c>run_output</c>).</summary>
    public int? RunOutputBytes { get; init; }

    /// <summary>Largest <c>stdin</c> that <c>run</c> takes (<c>run_stdin</c>).</summary>
    public int? RunStdinBytes { get; init; }

    /// <summary>How long <c>run</c> lets a command run when the caller does not say (<c>run_timeout</c>).</summary>
    public TimeSpan? RunTimeout { get; init; }

    /// <summary>The longest <c>timeout_seconds</c> a <c>run</c> may ask for (<c>max_run_timeout</c>).</summary>
    public TimeSpan? MaxRunTimeout { get; init; }

    /// <summary>MCP shells one caller may have open at once (<c>shells_per_caller</c>).</summary>
    public int? ShellsPerCaller { get; init; }

    /// <summary>An MCP shell no tool call touched for this long is ended (<c>shell_idle_timeout</c>).</summary>
    public TimeSpan? ShellIdleTimeout { get; init; }

    /// <summary>A relayed MCP session (<c>agent-client mcp</c>) with no call in flight ends after this long (<c>relay_idle_timeout</c>).</summary>
    public TimeSpan? RelayIdleTimeout { get; init; }

    /// <summary>Relayed MCP sessions one caller may have open at once (<c>relay_sessions_per_caller</c>).</summary>
    public int? RelaySessionsPerCaller { get; init; }
}
