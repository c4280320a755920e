using Broker.Integration.Tests.Fixtures;
using Broker.Server.Configuration;
using Broker.Server.Mcp.Relay;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Mcp;

/// <summary>The broker with the relay tests' tools added, a small session cap and a clock the tests move (for idle ends).</summary>
public sealed class RelayBrokerFixture : BrokerFixture
{
    public const int MaxSessions = 3;

    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public RelayToolProbe Probe { get; } = new();

    internal RelaySessions Sessions => Services.GetRequiredService<RelaySessions>();

    private protected override BrokerSettings Configure(BrokerSettings settings) => settings with { Time = Clock };

    private protected override void ReplaceServices(IServiceCollection services)
    {
        services.AddSingleton(Probe);
        services.AddMcpServer().WithTools<RelayTestTools>();
        services.AddSingleton(new McpRelayOptions { IdleTimeout = IdleTimeout, MaxSessionsPerCaller = MaxSessions });
    }
}
