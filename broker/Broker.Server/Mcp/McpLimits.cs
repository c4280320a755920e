namespace Broker.Server.Mcp;

/// <summary>
/// The bounds of the MCP tools (docs/mcp.md, "Limits"). Registered once; a host (or a test) may register its own
/// before <see cref="McpRegistration.AddBrokerMcp"/> runs, or replace it after.
/// </summary>
internal sealed record McpLimits
{
    /// <summary>The defaults, with what the policy file's <c>server.mcp</c> section sets in their place.</summary>
    public static McpLimits From(Broker.Policy.McpDefinition configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var limits = new McpLimits();
        return limits with
        {
            MaxRunOutputBytes = configured.RunOutputBytes ?? limits.MaxRunOutputBytes,
            MaxRunStdinBytes = configured.RunStdinBytes ?? limits.MaxRunStdinBytes,
            DefaultRunTimeout = configured.RunTimeout ?? limits.DefaultRunTimeout,
            MaxRunTimeout = configured.MaxRunTimeout ?? limits.MaxRunTimeout,
            ShellsPerCaller = configured.ShellsPerCaller ?? limits.ShellsPerCaller,
            ShellIdleTimeout = configured.ShellIdleTimeout ?? limits.ShellIdleTimeout,
        };
    }

    /// <summary>Bytes of stdout and of stderr each that <c>run</c> returns; the rest is in the session's recording.</summary>
    public int MaxRunOutputBytes { get; init; } = 64 * 1024;

    /// <summary>Largest <c>stdin</c> that <c>run</c> takes.</summary>
    public int MaxRunStdinBytes { get; init; } = 1024 * 1024;

    /// <summary>How long <c>run</c> lets a command run when the caller does not say.</summary>
    public TimeSpan DefaultRunTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest <c>timeout_seconds</c> accepted: clients drop tool calls that block much longer.</summary>
    public TimeSpan MaxRunTimeout { get; init; } = Broker.Policy.McpDefinition.DefaultMaxRunTimeout;

    /// <summary>How long <c>wait_approval</c> waits when the caller does not say.</summary>
    public TimeSpan DefaultApprovalWait { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>The longest <c>wait_approval</c> wait: well under the minute after which clients give up on a call.</summary>
    public TimeSpan MaxApprovalWait { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>How often a waiting <c>wait_approval</c> reports progress.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Characters of terminal output each MCP shell keeps for <c>shell_read</c> (a ring: the oldest go first).</summary>
    public int ShellBufferChars { get; init; } = 256 * 1024;

    /// <summary>Characters one <c>shell_send</c> or <c>shell_read</c> returns at most (the cursor says where to go on).</summary>
    public int MaxShellReadChars { get; init; } = 64 * 1024;

    /// <summary>The longest <c>wait_ms</c> of <c>shell_read</c>.</summary>
    public TimeSpan MaxShellReadWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long <c>shell_open</c> and <c>shell_send</c> wait for output to settle (no new output) before they answer.</summary>
    public TimeSpan ShellSettle { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The longest <c>shell_open</c> and <c>shell_send</c> wait for output (first output, then settling); shell_read waits longer.</summary>
    public TimeSpan ShellSendWait { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>An MCP shell no tool call touched for this long is ended.</summary>
    public TimeSpan ShellIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>MCP shells one caller (issuer and subject) may have open at once.</summary>
    public int ShellsPerCaller { get; init; } = 4;
}
