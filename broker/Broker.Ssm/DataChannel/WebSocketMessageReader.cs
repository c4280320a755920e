using System.Buffers;
using System.Net.WebSockets;

namespace Broker.Ssm.DataChannel;

/// <summary>One whole WebSocket message: its type and bytes (valid until the next read), or that it was too large.</summary>
/// <param name="Type">Binary, Text or Close.</param>
/// <param name="Data">The bytes.</param>
/// <param name="Oversized">True when the message was larger than the reader's limit and was skipped.</param>
public readonly record struct WebSocketMessage(WebSocketMessageType Type, ReadOnlyMemory<byte> Data, bool Oversized);

/// <summary>Reads whole WebSocket messages into one pooled buffer that grows up to a limit; a larger message is skipped.</summary>
public sealed class WebSocketMessageReader : IDisposable
{
    private readonly int _limit;
    private byte[] _buffer;

    /// <summary>A reader that keeps messages of up to <paramref name="limit"/> bytes.</summary>
    /// <param name="limit">The largest message kept, in bytes; larger ones are read, dropped and reported as oversized.</param>
    public WebSocketMessageReader(int limit)
    {
        _limit = limit;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(16 * 1024, limit));
    }

    /// <summary>Reads the next whole message from <paramref name="socket"/>; its bytes stay valid until the next call.</summary>
    /// <param name="socket">The socket to read.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>The message.</returns>
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

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}
