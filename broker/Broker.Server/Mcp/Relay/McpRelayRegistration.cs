using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp.Relay;

/// <summary>Registers the MCP relay (the gRPC transport <c>agent-client mcp</c> uses) over the broker's MCP server options.</summary>
internal static class McpRelayRegistration
{
    public static IServiceCollection AddMcpRelay(this IServiceCollection services)
    {
        services.AddSingleton(sp => McpRelayOptions.From(sp.GetRequiredService<Broker.Server.Configuration.BrokerSettings>().Server.Mcp));
        services.AddSingleton(sp => new RelaySessions(
            sp.GetRequiredService<McpRelayOptions>(),
            sp.GetRequiredService<IOptions<McpServerOptions>>(),
            sp,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
