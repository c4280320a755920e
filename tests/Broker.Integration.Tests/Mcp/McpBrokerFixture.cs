using Broker.Server.Mcp;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Mcp;

/// <summary>A real broker with the MCP tests' policy and small MCP limits (so the bounds are reached quickly).</summary>
public sealed class McpBrokerFixture : Fixtures.BrokerFixture
{
    /// <summary>Bytes of stdout and stderr each that run returns here.</summary>
    public const int RunOutputBytes = 4096;

    public McpBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Mcp", "mcp-policy.yaml"));
    }

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton(new McpLimits
        {
            MaxRunOutputBytes = RunOutputBytes,
            ProgressInterval = TimeSpan.FromMilliseconds(200),
            ShellsPerCaller = 2,
        });
}
