using System.Text;
using System.Text.Json.Nodes;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Broker.Integration.Tests.Mcp;

/// <summary>
/// A raw client of the relay, as <c>agent-client mcp</c> is: JSON-RPC text in, the server's messages out, one call per
/// message. It keeps the session id the initialize call returned.
/// </summary>
public sealed class RelayClient(BrokerFixture broker, string token)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);
    private int _nextId;

    public string SessionId { get; set; } = string.Empty;

    public McpRelayService.McpRelayServiceClient Grpc { get; } = new(broker.Channel(token));

    /// <summary>Opens the session: initialize, then the initialized notification.</summary>
    public async Task<JsonNode> InitializeAsync()
    {
        var replies = await SendAsync(Request("initialize", new JsonObject
        {
            ["protocolVersion"] = "2025-06-18",
            ["capabilities"] = new JsonObject(),
            ["clientInfo"] = new JsonObject { ["name"] = "relay-test", ["version"] = "1" },
        }));
        await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" });
        return replies.Single();
    }

    public JsonObject Request(string method, JsonObject? parameters = null)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = Interlocked.Increment(ref _nextId), ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = parameters;
        }

        return request;
    }

    public JsonObject ToolCall(string name, JsonObject arguments, string? progressToken = null)
    {
        var parameters = new JsonObject { ["name"] = name, ["arguments"] = arguments };
        if (progressToken is not null)
        {
            parameters["_meta"] = new JsonObject { ["progressToken"] = progressToken };
        }

        return Request("tools/call", parameters);
    }

    /// <summary>Relays one message and collects every server message of its call.</summary>
    public async Task<IReadOnlyList<JsonNode>> SendAsync(JsonObject message, CancellationToken cancellationToken = default)
    {
        using var call = Start(message, cancellationToken);
        var replies = new List<JsonNode>();
        while (await call.ResponseStream.MoveNext(cancellationToken).WaitAsync(CallTimeout, cancellationToken))
        {
            SessionId = call.ResponseStream.Current.SessionId;
            replies.Add(JsonNode.Parse(call.ResponseStream.Current.Message.ToStringUtf8())!);
        }

        return replies;
    }

    /// <summary>Starts a relay call without reading it (for tests that drop or watch a call in flight).</summary>
    public AsyncServerStreamingCall<RelayResponse> Start(JsonObject message, CancellationToken cancellationToken = default) =>
        Grpc.Relay(new RelayRequest { SessionId = SessionId, Message = ByteString.CopyFrom(message.ToJsonString(), Encoding.UTF8) }, cancellationToken: cancellationToken);
}
