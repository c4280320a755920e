using System.Net.WebSockets;
using System.Threading.Channels;
using Broker.Ssm.DataChannel;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>
/// One client WebSocket of an emulated session. Frames to the client go through a queue drained
/// by one writer, so the receive loop never waits on the socket (a peer that stops reading cannot
/// stall acknowledgements of its own input).
/// </summary>
internal sealed class AgentConnection : IDisposable
{
    private const int MaxFrameBytes = 1024 * 1024;

    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _closeAfterQueued;

    public AgentConnection(WebSocket socket) => _socket = socket;

    /// <summary>Whether the connection still carries frames.</summary>
    public bool IsOpen => !_stop.IsCancellationRequested;

    /// <summary>Queues a frame for the client.</summary>
    public void Enqueue(byte[] frame) => _outbound.Writer.TryWrite(frame);

    /// <summary>Sends what is queued, then closes the WebSocket (the client may not answer the close: it just leaves).</summary>
    public void CloseAfterQueued()
    {
        _closeAfterQueued = true;
        _outbound.Writer.TryComplete();
    }

    /// <summary>Cuts the connection at once, with no close handshake (a network failure, as the client sees it).</summary>
    public void Abort()
    {
        try
        {
            if (!_stop.IsCancellationRequested)
            {
                _stop.Cancel();
                _socket.Abort();
            }
        }
        catch (ObjectDisposedException)
        {
            // Already over: a delayed fault found the connection gone.
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _stop.Dispose();

    /// <summary>Runs until the socket fails or is cut, handing every binary frame to <paramref name="onFrame"/>.</summary>
    public async Task RunAsync(Func<ReadOnlyMemory<byte>, ValueTask> onFrame)
    {
        var writer = WriteLoopAsync();
        using var reader = new WebSocketMessageReader(MaxFrameBytes);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var message = await reader.ReadAsync(_socket, _stop.Token).ConfigureAwait(false);
                if (message.Type == WebSocketMessageType.Close)
                {
                    return;
                }

                if (message.Type == WebSocketMessageType.Binary && !message.Oversized)
                {
                    await onFrame(message.Data).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the connection was cut.
        }
        finally
        {
            Abort();
            _outbound.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, _stop.Token).ConfigureAwait(false);
            }

            if (_closeAfterQueued)
            {
                // The client closes (or drops) the socket when it reads channel_closed; a client that
                // does neither is cut after a while.
                _stop.CancelAfter(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "channel closed", _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            Abort();
        }
    }
}
