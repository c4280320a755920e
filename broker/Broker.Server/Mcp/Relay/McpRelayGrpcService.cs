using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Broker.Server.Auth;
using Google.Protobuf;
using Grpc.Core;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Mcp.Relay;

/// <summary>
/// The gRPC transport of the broker's MCP server: one call per client message, answered with the server messages
/// that belong to it. It only translates between gRPC and the session's transport; the tools see the call's
/// authenticated caller as the message's <see cref="JsonRpcMessageContext.User"/>, as they see an /mcp request's.
/// </summary>
internal sealed class McpRelayGrpcService(RelaySessions sessions) : V1.McpRelayService.McpRelayServiceBase
{
    private static readonly JsonTypeInfo Messages = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage));

    public override async Task Relay(V1.RelayRequest request, IServerStreamWriter<V1.RelayResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        var message = Parse(request.Message);
        RelaySession? session;
        if (request.SessionId.Length == 0)
        {
            if (message is not JsonRpcRequest { Method: RequestMethods.Initialize })
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "a message without a session id must be the initialize request"));
            }

            (session, var failure) = sessions.Open(caller);
            if (failure is RelayOpenFailure.TooManySessions)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, "this identity has as many MCP sessions open as the broker allows; close one (or let it go idle) first"));
            }
        }
        else
        {
            session = sessions.Find(request.SessionId, caller);
        }

        if (session is null)
        {
            throw SessionGone();
        }

        var id = session.Id;
        var delivered = await session.RelayAsync(
            message,
            context.GetHttpContext().User,
            reply => responseStream.WriteAsync(new V1.RelayResponse { SessionId = id, Message = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(reply, Messages)) }),
            context.CancellationToken).ConfigureAwait(false);
        if (!delivered)
        {
            throw SessionGone();
        }
    }

    private static RpcException SessionGone() =>
        new(new Status(StatusCode.NotFound, "no such MCP session for this caller (it ended when idle or when the broker restarted): initialize a new one"));

    private static JsonRpcMessage Parse(ByteString bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes.Span, Messages) as JsonRpcMessage
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the message is not a JSON-RPC message"));
        }
        catch (JsonException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the message is not a JSON-RPC message: {e.Message}"));
        }
    }
}
