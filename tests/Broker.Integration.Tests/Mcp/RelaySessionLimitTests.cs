using Grpc.Core;

namespace Broker.Integration.Tests.Mcp;

/// <summary>Sessions end when idle and are capped per identity. A fixture of its own: these tests move the clock.</summary>
public sealed class RelaySessionLimitTests : IAsyncLifetime
{
    private readonly RelayBrokerFixture _broker = new();

    public Task InitializeAsync() => _broker.InitializeAsync();

    public Task DisposeAsync() => _broker.DisposeAsync();

    [Fact]
    public async Task An_identity_opens_at_most_the_cap_and_another_identity_is_not_counted_against_it()
    {
        var token = _broker.Token("relay-capped", "developers");
        for (var i = 0; i < RelayBrokerFixture.MaxSessions; i++)
        {
            await new RelayClient(_broker, token).InitializeAsync();
        }

        var oneMore = () => new RelayClient(_broker, token).InitializeAsync();

        (await oneMore.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.ResourceExhausted);
        await new RelayClient(_broker, _broker.Token("relay-other", "developers")).InitializeAsync();
        _broker.Sessions.Count.Should().Be(RelayBrokerFixture.MaxSessions + 1);
    }

    [Fact]
    public async Task An_idle_session_ends_and_its_id_is_then_not_found_while_a_used_one_lives()
    {
        var idle = new RelayClient(_broker, _broker.Token("relay-idle", "developers"));
        await idle.InitializeAsync();
        var busy = new RelayClient(_broker, _broker.Token("relay-busy", "developers"));
        await busy.InitializeAsync();

        _broker.Clock.Advance(RelayBrokerFixture.IdleTimeout * 0.75);
        await busy.SendAsync(busy.Request("tools/list"));
        _broker.Clock.Advance(RelayBrokerFixture.IdleTimeout * 0.75);

        var act = () => idle.SendAsync(idle.Request("tools/list"));
        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.NotFound);
        (await busy.SendAsync(busy.Request("tools/list"))).Should().ContainSingle();
    }

    [Fact]
    public async Task A_session_with_a_call_in_flight_is_not_idle()
    {
        var client = new RelayClient(_broker, _broker.Token("relay-inflight", "developers"));
        await client.InitializeAsync();
        using var stop = new CancellationTokenSource();
        using var held = client.Start(client.ToolCall("test_hold", new System.Text.Json.Nodes.JsonObject { ["tag"] = "inflight" }), stop.Token);
        await _broker.Probe.Started("inflight").WaitAsync(TimeSpan.FromSeconds(60));

        _broker.Clock.Advance(RelayBrokerFixture.IdleTimeout * 3);

        (await client.SendAsync(client.Request("tools/list"))).Should().ContainSingle();
        await stop.CancelAsync();
    }
}
