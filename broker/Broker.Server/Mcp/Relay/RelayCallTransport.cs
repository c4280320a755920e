using System.Threading.Channels;
using ModelContextProtocol.Protocol;

namespace Broker.Server.Mcp.Relay;

/// <summary>
/// The transport of one relay call: the MCP server sends what belongs to the call's request (through
/// <see cref="JsonRpcMessageContext.RelatedTransport"/>) here, and the call writes it to its response stream. The
/// response to the request completes the call. Once the call has ended, what the server still sends for it is
/// dropped: nobody is listening.
/// </summary>
internal sealed class RelayCallTransport : ITransport
{
    private readonly Channel<JsonRpcMessage> _outgoing;
    private readonly RequestId _request;

    public RelayCallTransport(string sessionId, RequestId request, int capacity)
    {
        SessionId = sessionId;
        _request = request;
        _outgoing = Channel.CreateBounded<JsonRpcMessage>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public string? SessionId { get; }

    /// <summary>What the server sent for the call, ending after the response.</summary>
    public ChannelReader<JsonRpcMessage> Outgoing => _outgoing.Reader;

    /// <summary>The server reads the session's transport, never a call's.</summary>
    public ChannelReader<JsonRpcMessage> MessageReader => throw new InvalidOperationException("a relay call's transport only sends");

    public async Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await _outgoing.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The call ended (the client went away, or the response was already sent): there is no one to tell.
            return;
        }

        if (message is JsonRpcMessageWithId { } reply and (JsonRpcResponse or JsonRpcError) && reply.Id == _request)
        {
            _outgoing.Writer.TryComplete();
        }
    }

    /// <summary>Ends the call after what is queued: the server's later messages for it are dropped.</summary>
    public void End() => _outgoing.Writer.TryComplete();

    public ValueTask DisposeAsync()
    {
        End();
        return ValueTask.CompletedTask;
    }
}
