using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>Reads <c>server.mcp</c>: every bound is checked against its range here, with its line, before the broker starts.</summary>
internal sealed class McpSectionReader(YamlReader reader, ServerSectionReader server)
{
    /// <summary>The most output a <c>run</c> answer may carry per stream: MCP clients hold the whole answer in memory.</summary>
    private const long MaxRunOutput = 16L * 1024 * 1024;

    /// <summary>The most stdin a <c>run</c> call may carry: it arrives inside one JSON-RPC message.</summary>
    private const long MaxRunStdin = 64L * 1024 * 1024;

    public McpDefinition Read(YamlNode node)
    {
        var mcp = new McpDefinition();
        var fields = reader.Mapping(
            node,
            "server mcp",
            "run_output",
            "run_stdin",
            "run_timeout",
            "max_run_timeout",
            "shells_per_caller",
            "shell_idle_timeout",
            "relay_idle_timeout",
            "relay_sessions_per_caller");
        if (fields is null)
        {
            return mcp;
        }

        if (fields.TryGetValue("run_output", out var outputNode) && server.Size(outputNode, "server mcp run_output", 1024, MaxRunOutput) is { } output)
        {
            mcp = mcp with { RunOutputBytes = (int)output };
        }

        if (fields.TryGetValue("run_stdin", out var stdinNode) && server.Size(stdinNode, "server mcp run_stdin", 0, MaxRunStdin) is { } stdin)
        {
            mcp = mcp with { RunStdinBytes = (int)stdin };
        }

        if (fields.TryGetValue("max_run_timeout", out var maxNode)
            && reader.Duration(maxNode, "server mcp max_run_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)) is { } max)
        {
            mcp = mcp with { MaxRunTimeout = max };
        }

        if (fields.TryGetValue("run_timeout", out var timeoutNode)
            && reader.Duration(timeoutNode, "server mcp run_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)) is { } timeout)
        {
            if (timeout > (mcp.MaxRunTimeout ?? McpDefinition.DefaultMaxRunTimeout))
            {
                reader.Error(timeoutNode, $"server mcp run_timeout must not be longer than max_run_timeout ({mcp.MaxRunTimeout ?? McpDefinition.DefaultMaxRunTimeout:g})");
            }

            mcp = mcp with { RunTimeout = timeout };
        }

        if (fields.TryGetValue("shells_per_caller", out var shellsNode) && reader.Integer(shellsNode, "server mcp shells_per_caller", 1, 1000) is { } shells)
        {
            mcp = mcp with { ShellsPerCaller = shells };
        }

        if (fields.TryGetValue("shell_idle_timeout", out var shellIdleNode)
            && reader.Duration(shellIdleNode, "server mcp shell_idle_timeout", TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)) is { } shellIdle)
        {
            mcp = mcp with { ShellIdleTimeout = shellIdle };
        }

        if (fields.TryGetValue("relay_idle_timeout", out var relayIdleNode)
            && reader.Duration(relayIdleNode, "server mcp relay_idle_timeout", TimeSpan.FromMinutes(1), TimeSpan.FromDays(1)) is { } relayIdle)
        {
            mcp = mcp with { RelayIdleTimeout = relayIdle };
        }

        if (fields.TryGetValue("relay_sessions_per_caller", out var relayNode)
            && reader.Integer(relayNode, "server mcp relay_sessions_per_caller", 1, 1000) is { } relay)
        {
            mcp = mcp with { RelaySessionsPerCaller = relay };
        }

        return mcp;
    }
}
