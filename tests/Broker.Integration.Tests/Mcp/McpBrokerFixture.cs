using Broker.Server.Configuration;
using Broker.Server.Mcp;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Mcp;

/// <summary>
/// A real broker with the MCP tests' policy, whose <c>server.mcp</c> section sets small MCP limits (so the bounds are
/// reached quickly, through the configuration a deployment would use); only the progress interval, which is no
/// configuration key, is shortened here.
/// </summary>
public sealed class McpBrokerFixture : Fixtures.BrokerFixture
{
    /// <summary>Bytes of stdout and stderr each that run returns here (<c>server.mcp.run_output</c> in mcp-policy.yaml).</summary>
    public const int RunOutputBytes = 4096;

    public McpBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Mcp", "mcp-policy.yaml"));
    }

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton(sp => McpLimits.From(sp.GetRequiredService<BrokerSettings>().Server.Mcp) with { ProgressInterval = TimeSpan.FromMilliseconds(200) });
}
