using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelContextProtocol.Protocol;

namespace Broker.Server.Mcp;

/// <summary>
/// The broker's MCP server: its identity, its instructions and its tools, registered once. Every transport serves
/// this same server from the registered <c>McpServerOptions</c>: streamable HTTP at <see cref="Path"/>, and the
/// gRPC relay that <c>agent-client mcp</c> talks to.
/// </summary>
internal static class McpRegistration
{
    /// <summary>Where the streamable HTTP transport is mapped.</summary>
    public const string Path = "/mcp";

    private const string Instructions =
        "This server runs commands through a least-privilege session broker. Every command is decided by a policy "
        + "before it runs, secrets are masked out of output, and everything is recorded. Call `targets` first, "
        + "`explain` to check a command without running it, then `run`. When `run` answers decision=held, nothing ran: "
        + "call `wait_approval` with the approval id until its state is approved, then call `run` again with the "
        + "identical command. For programs that ask questions use shell_open, shell_send, shell_read and shell_close. "
        + "No tool here approves or denies anything: people do that.";

    /// <summary>Registers the MCP server, its streamable HTTP transport and its tools.</summary>
    public static IServiceCollection AddBrokerMcp(this IServiceCollection services)
    {
        services.AddMcpServer(options =>
            {
                options.ServerInfo = new Implementation { Name = "broker", Version = typeof(McpRegistration).Assembly.GetName().Version?.ToString() ?? "0.0.0" };
                options.ServerInstructions = Instructions;
            })
            .WithHttpTransport()
            .WithTools<TargetsTool>(McpJson.Options)
            .WithTools<RunTool>(McpJson.Options)
            .WithTools<ExplainTool>(McpJson.Options)
            .WithTools<ApprovalTools>(McpJson.Options)
            .WithTools<SessionsTool>(McpJson.Options)
            .WithTools<ShellTools>(McpJson.Options);
        services.TryAddSingleton(sp => McpLimits.From(sp.GetRequiredService<Configuration.BrokerSettings>().Server.Mcp));
        services.AddSingleton<McpShells>();
        return services;
    }

    /// <summary>Maps the streamable HTTP transport at <see cref="Path"/>, for authenticated callers only.</summary>
    public static void MapBrokerMcp(this WebApplication app) => app.MapMcp(Path).RequireAuthorization();
}
