using System.CommandLine;
using AgentClient.Cli;
using AgentClient.Connection;
using AgentClient.Terminal;
using Broker.Protocol.V1;

namespace AgentClient.Mcp;

/// <summary>
/// <c>agent-client mcp</c>: the stdio transport of the broker's MCP server, for MCP clients that start their
/// servers as commands. Standard output carries only MCP messages; the client's own messages go to standard error.
/// </summary>
internal static class McpCommand
{
    public static Command Create(ClientOptions client)
    {
        var command = new Command("mcp", "Serve the broker's MCP tools on stdin/stdout (newline-delimited JSON-RPC), relayed over gRPC; a --token-file is re-read before every message");
        command.SetAction(async (parse, ct) =>
        {
            var (broker, token, problem) = client.Resolve(parse);
            if (problem is not null)
            {
                return ExitCodes.Report(ExitCodes.Usage, problem);
            }

            // Each call carries the token of that moment: whatever renews the token file keeps a long MCP session working.
            var renewal = client.Renewal(parse);
            var current = token!;
            using var connection = BrokerConnection.Open(broker!, () => current = renewal() ?? current);
            using var relay = new StdioRelay(new McpRelayService.McpRelayServiceClient(connection.Channel), StandardStreams.Input, StandardStreams.Output, StandardStreams.Err);
            try
            {
                await relay.RunAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // A signal: Program turns it into 128 + its number.
                return ExitCodes.Failed;
            }

            return 0;
        });
        return command;
    }
}
