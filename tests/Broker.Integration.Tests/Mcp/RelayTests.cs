using System.Text.Json.Nodes;
using Grpc.Core;

namespace Broker.Integration.Tests.Mcp;

public sealed class RelayTests(RelayBrokerFixture broker) : IClassFixture<RelayBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private RelayClient Client(string subject) => new(broker, broker.Token(subject, "developers"));

    [Fact]
    public async Task Initialize_opens_a_session_and_its_id_serves_tools_list()
    {
        var client = Client("relay-init");
        var initialized = await client.InitializeAsync();

        client.SessionId.Should().MatchRegex("^[0-9a-f]{32}$");
        initialized["result"]!["serverInfo"].Should().NotBeNull();
        var list = (await client.SendAsync(client.Request("tools/list"))).Single();
        var names = list["result"]!["tools"]!.AsArray().Select(t => (string?)t!["name"]).ToList();
        names.Should().Contain(["test_whoami", "test_count", "test_hold"]);
    }

    [Fact]
    public async Task A_tool_sees_the_identity_of_the_call_that_carried_it()
    {
        var client = Client("relay-whoami");
        await client.InitializeAsync();

        var reply = (await client.SendAsync(client.ToolCall("test_whoami", []))).Single();

        Text(reply).Should().Be("relay-whoami");
    }

    [Fact]
    public async Task Progress_notifications_travel_on_the_call_of_their_request_and_the_response_ends_it()
    {
        var client = Client("relay-progress");
        await client.InitializeAsync();

        var first = client.SendAsync(client.ToolCall("test_count", new JsonObject { ["tag"] = "a", ["count"] = 5 }, progressToken: "pa"));
        var second = client.SendAsync(client.ToolCall("test_count", new JsonObject { ["tag"] = "b", ["count"] = 3 }, progressToken: "pb"));
        var (a, b) = (await first.WaitAsync(Timeout), await second.WaitAsync(Timeout));

        Progress(a).Should().Equal("pa", "pa", "pa", "pa", "pa");
        Progress(b).Should().Equal("pb", "pb", "pb");
        Text(a[^1]).Should().Be("a");
        Text(b[^1]).Should().Be("b");
    }

    [Fact]
    public async Task A_call_in_flight_does_not_hold_up_another_call_of_the_same_session()
    {
        var client = Client("relay-concurrent");
        await client.InitializeAsync();
        using var stop = new CancellationTokenSource();
        using var held = client.Start(client.ToolCall("test_hold", new JsonObject { ["tag"] = "concurrent" }), stop.Token);
        await broker.Probe.Started("concurrent").WaitAsync(Timeout);

        var reply = (await client.SendAsync(client.ToolCall("test_whoami", [])).WaitAsync(Timeout)).Single();

        Text(reply).Should().Be("relay-concurrent");
        await stop.CancelAsync();
    }

    [Fact]
    public async Task A_dropped_call_cancels_its_tool_call()
    {
        var client = Client("relay-drop");
        await client.InitializeAsync();
        using var stop = new CancellationTokenSource();
        using var held = client.Start(client.ToolCall("test_hold", new JsonObject { ["tag"] = "dropped" }), stop.Token);
        await broker.Probe.Started("dropped").WaitAsync(Timeout);

        await stop.CancelAsync();

        await broker.Probe.Cancelled("dropped").WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_cancelled_notification_from_the_client_cancels_the_tool_call_and_ends_its_call()
    {
        var client = Client("relay-cancel");
        await client.InitializeAsync();
        var call = client.ToolCall("test_hold", new JsonObject { ["tag"] = "notified" });
        var running = client.SendAsync(call);
        await broker.Probe.Started("notified").WaitAsync(Timeout);

        var ack = await client.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = "notifications/cancelled",
            ["params"] = new JsonObject { ["requestId"] = call["id"]!.DeepClone(), ["reason"] = "test" },
        });

        ack.Should().BeEmpty("a notification has no reply");
        await broker.Probe.Cancelled("notified").WaitAsync(Timeout);
        // MCP answers a cancelled request with nothing: the relay ends its call rather than leave it open.
        (await running.WaitAsync(Timeout)).Should().NotContain(r => r["id"] != null);
    }

    [Fact]
    public async Task Another_identity_cannot_use_the_session_and_is_told_it_does_not_exist()
    {
        var owner = Client("relay-owner");
        await owner.InitializeAsync();
        var intruder = new RelayClient(broker, broker.Token("relay-intruder", "developers")) { SessionId = owner.SessionId };

        var act = () => intruder.SendAsync(intruder.ToolCall("test_whoami", []));

        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.NotFound);
        Text((await owner.SendAsync(owner.ToolCall("test_whoami", []))).Single()).Should().Be("relay-owner");
    }

    [Fact]
    public async Task A_call_without_a_token_is_refused_before_any_session_opens()
    {
        var before = broker.Sessions.Count;
        var anonymous = new Broker.Protocol.V1.McpRelayService.McpRelayServiceClient(broker.Channel(null));
        var client = Client("unused");

        var act = async () =>
        {
            using var call = anonymous.Relay(new Broker.Protocol.V1.RelayRequest { Message = Google.Protobuf.ByteString.CopyFromUtf8(client.Request("initialize", []).ToJsonString()) });
            await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout);
        };

        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);
        broker.Sessions.Count.Should().Be(before);
    }

    [Fact]
    public async Task A_message_without_a_session_must_be_initialize()
    {
        var client = Client("relay-no-session");

        var act = () => client.SendAsync(client.Request("tools/list"));

        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task Bytes_that_are_not_json_rpc_are_an_invalid_argument()
    {
        var client = Client("relay-garbage");
        var act = async () =>
        {
            using var call = client.Grpc.Relay(new Broker.Protocol.V1.RelayRequest { Message = Google.Protobuf.ByteString.CopyFromUtf8("{not json") });
            await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout);
        };

        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    private static string? Text(JsonNode reply) => (string?)reply["result"]!["content"]![0]!["text"];

    private static List<string?> Progress(IReadOnlyList<JsonNode> replies) =>
        [.. replies.Where(r => (string?)r["method"] == "notifications/progress").Select(r => (string?)r["params"]!["progressToken"])];
}
