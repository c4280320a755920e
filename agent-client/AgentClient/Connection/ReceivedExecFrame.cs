using System.Buffers;
using Broker.Protocol.V1;
using Google.Protobuf;

namespace AgentClient.Connection;

/// <summary>
/// One <c>Exec</c> response frame as the client received it. A frame that carries only output
/// (the bulk of a command's frames) keeps its bytes in the pooled buffer they were read into instead
/// of a new array per frame: a 256 MiB <c>cat</c> would otherwise allocate, and collect, 256 MiB of
/// 64 KiB arrays. The bytes are valid until <see cref="Dispose"/>, which gives the buffer back.
/// </summary>
internal sealed class ReceivedExecFrame : IDisposable
{
    // Tags of the frame's `bytes stdout = 2` and `bytes stderr = 3` fields (field << 3 | wire type 2).
    private const byte StdoutTag = (2 << 3) | 2;
    private const byte StderrTag = (3 << 3) | 2;

    private byte[]? _rented;

    private ReceivedExecFrame(ExecResponse message, byte[]? rented)
    {
        Message = message;
        _rented = rented;
    }

    /// <summary>The frame; its output bytes must not be used after <see cref="Dispose"/>.</summary>
    public ExecResponse Message { get; }

    /// <summary>
    /// Decodes a frame from the first <paramref name="length"/> bytes of <paramref name="rented"/>, a buffer
    /// from the shared pool that the frame now owns. A frame that is one output field and nothing else keeps
    /// its bytes where they are; any other frame is parsed by the generated parser (so every frame kind the
    /// broker may send is read as before) and the buffer goes back at once.
    /// </summary>
    public static ReceivedExecFrame Decode(byte[] rented, int length)
    {
        ArgumentNullException.ThrowIfNull(rented);
        var encoded = rented.AsSpan(0, length);
        var output = OutputField(encoded);
        if (output is { Length: > 0 } field)
        {
            // The wrapped buffer is never written again while the frame lives: Dispose returns it after printing.
            var bytes = UnsafeByteOperations.UnsafeWrap(new ReadOnlyMemory<byte>(rented, field.HeaderLength, field.Length));
            return new ReceivedExecFrame(Frame(field.Tag, bytes), rented);
        }

        try
        {
            return new ReceivedExecFrame(output is { } empty ? Frame(empty.Tag, ByteString.Empty) : ExecResponse.Parser.ParseFrom(encoded), null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static ExecResponse Frame(byte tag, ByteString bytes) =>
        tag == StdoutTag ? new ExecResponse { Stdout = bytes } : new ExecResponse { Stderr = bytes };

    /// <summary>
    /// The tag, header length and payload length of a frame that is one stdout or stderr field and nothing
    /// else (the length prefix must account for every remaining byte), or null for any other frame.
    /// </summary>
    private static (byte Tag, int HeaderLength, int Length)? OutputField(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < 2 || encoded[0] is not (StdoutTag or StderrTag))
        {
            return null;
        }

        // The length is a base-128 varint of at most five bytes (a 32-bit value).
        long length = 0;
        for (var i = 1; i < Math.Min(encoded.Length, 6); i++)
        {
            length |= (long)(encoded[i] & 0x7F) << (7 * (i - 1));
            if ((encoded[i] & 0x80) == 0)
            {
                var headerLength = i + 1;
                return headerLength + length == encoded.Length ? (encoded[0], headerLength, (int)length) : null;
            }
        }

        return null;
    }
}
