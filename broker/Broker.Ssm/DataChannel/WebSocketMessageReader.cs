using System.Buffers;
using System.Net.WebSockets;

namespace Broker.Ssm.DataChannel;

/// <summary>One whole WebSocket message: its type and bytes (valid until the next read), or that it was too large.</summary>
/// <param name="Type">Binary, Text or Close.</param>
/// <param name="Data">The bytes.</param>
/// <param name="Oversized">True when the message was larger than the reader's limit and was skipped.</param>
internal readonly record struct WebSocketMessage(WebSocketMessageType Type, ReadOnlyMemory<byte> Data, bool Oversized);

/// <summary>Reads whole WebSocket messages into one pooled buffer that grows up to a limit; a larger message is skipped.</summary>
internal sealed class WebSocketMessageReader : IDisposable
{
    private readonly int _limit;
    private byte[] _buffer;

    public WebSocketMessageReader(int limit)
    {
        _limit = limit;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(16 * 1024, limit));
    }

    public async ValueTask<WebSocketMessage> ReadAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var length = 0;
        var oversized = false;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == _buffer.Length)
            {
                if (_buffer.Length >= _limit)
                {
                    // Too large: the rest is read and thrown away, so the next message starts clean.
                    oversized = true;
                    length = 0;
                }
                else
                {
                    var grown = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, _limit));
                    _buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = grown;
                }
            }

            result = await socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            length += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

        return new WebSocketMessage(result.MessageType, oversized ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, length), oversized);
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}
