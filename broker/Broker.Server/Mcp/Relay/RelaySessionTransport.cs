using System.Threading.Channels;
using ModelContextProtocol.Protocol;

namespace Broker.Server.Mcp.Relay;

/// <summary>
/// The transport the MCP server of one relayed session reads: the relay calls write the client's messages in. A
/// message the server sends that belongs to no call (a notification not tied to a request) has no stream to travel
/// on, because the relay opens no standing stream; it is dropped, as streamable HTTP drops it when the client opened
/// no GET stream.
/// </summary>
internal sealed partial class RelaySessionTransport(string sessionId, ILogger logger) : ITransport
{
    // Each relay call writes one message and waits its turn; the server takes them as fast as it dispatches.
    private const int IncomingCapacity = 32;

    private readonly Channel<JsonRpcMessage> _incoming = Channel.CreateBounded<JsonRpcMessage>(new BoundedChannelOptions(IncomingCapacity) { SingleReader = true });

    public string? SessionId { get; } = sessionId;

    public ChannelReader<JsonRpcMessage> MessageReader => _incoming.Reader;

    /// <summary>Hands a client message to the server; false once the session has ended.</summary>
    public async ValueTask<bool> DeliverAsync(JsonRpcMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _incoming.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        LogDropped(logger, SessionId!, message.GetType().Name);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP relay session {SessionId}: dropped a server {Kind} that belongs to no call")]
    private static partial void LogDropped(ILogger logger, string sessionId, string kind);
}
