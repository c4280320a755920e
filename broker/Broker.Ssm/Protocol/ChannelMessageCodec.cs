using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Ssm.Protocol;

/// <summary>A decoded frame, or why it was dropped.</summary>
/// <param name="Message">The message, when <paramref name="Rejection"/> is <see cref="FrameRejection.None"/>.</param>
/// <param name="Rejection">Why the frame was dropped.</param>
public readonly record struct DecodedFrame(ChannelMessage? Message, FrameRejection Rejection);

/// <summary>
/// The binary frame layout of the data channel (all integers big-endian): HeaderLength (116, the
/// offset of PayloadLength), MessageType (32 ASCII bytes padded with spaces), SchemaVersion,
/// CreatedDate, SequenceNumber, Flags, MessageId (the UUID's second half first), the SHA-256 of
/// the payload, PayloadType, PayloadLength, then the payload to the end of the frame.
/// </summary>
public static class ChannelMessageCodec
{
    /// <summary>The HeaderLength value every sender writes.</summary>
    public const int HeaderLength = 116;

    /// <summary>Where the payload starts in a frame we write.</summary>
    public const int PayloadOffset = HeaderLength + 4;

    private const int MessageTypeOffset = 4;
    private const int MessageTypeLength = 32;
    private const int SchemaVersionOffset = 36;
    private const int CreatedDateOffset = 40;
    private const int SequenceNumberOffset = 48;
    private const int FlagsOffset = 56;
    private const int MessageIdOffset = 64;
    private const int DigestOffset = 80;
    private const int PayloadTypeOffset = 112;
    private const int PayloadLengthOffset = 116;

    /// <summary>Encodes <paramref name="message"/> as one frame.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The frame bytes.</returns>
    public static byte[] Encode(ChannelMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var payload = message.Payload.Span;
        var frame = new byte[PayloadOffset + payload.Length];
        var span = frame.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, HeaderLength);
        WriteMessageType(message.MessageType, span.Slice(MessageTypeOffset, MessageTypeLength));
        BinaryPrimitives.WriteUInt32BigEndian(span[SchemaVersionOffset..], message.SchemaVersion);
        BinaryPrimitives.WriteUInt64BigEndian(span[CreatedDateOffset..], message.CreatedDate);
        BinaryPrimitives.WriteInt64BigEndian(span[SequenceNumberOffset..], message.SequenceNumber);
        BinaryPrimitives.WriteUInt64BigEndian(span[FlagsOffset..], (ulong)message.Flags);
        WriteMessageId(message.MessageId, span.Slice(MessageIdOffset, 16));
        SHA256.HashData(payload, span.Slice(DigestOffset, 32));
        BinaryPrimitives.WriteUInt32BigEndian(span[PayloadTypeOffset..], (uint)message.PayloadType);
        BinaryPrimitives.WriteUInt32BigEndian(span[PayloadLengthOffset..], (uint)payload.Length);
        payload.CopyTo(span[PayloadOffset..]);
        return frame;
    }

    /// <summary>
    /// Decodes one frame. As AWS's client does, a frame with a HeaderLength too small for the
    /// layout, an empty MessageType, a zero CreatedDate or a payload that does not match its
    /// digest is rejected (the caller drops it without an acknowledgement, so the sender resends);
    /// start_publication and pause_publication are taken without those checks. The payload is a
    /// slice of <paramref name="frame"/>: copy it to keep it past the frame's buffer.
    /// </summary>
    /// <param name="frame">One whole WebSocket message.</param>
    /// <param name="verifyDigest">False to take a payload whatever its digest (the agent does not check it).</param>
    /// <returns>The message, or the rejection.</returns>
    public static DecodedFrame Decode(ReadOnlyMemory<byte> frame, bool verifyDigest = true)
    {
        var span = frame.Span;
        if (span.Length < PayloadOffset)
        {
            return new DecodedFrame(null, FrameRejection.TooShort);
        }

        var messageType = ReadMessageType(span.Slice(MessageTypeOffset, MessageTypeLength));
        var headerLength = BinaryPrimitives.ReadUInt32BigEndian(span);
        var createdDate = BinaryPrimitives.ReadUInt64BigEndian(span[CreatedDateOffset..]);
        var isPublication = messageType is MessageTypes.StartPublication or MessageTypes.PausePublication;
        ReadOnlyMemory<byte> payload = ReadOnlyMemory<byte>.Empty;
        if (!isPublication)
        {
            if (headerLength < HeaderLength || headerLength + 4L > span.Length)
            {
                return new DecodedFrame(null, FrameRejection.BadHeaderLength);
            }

            if (messageType is null)
            {
                return new DecodedFrame(null, FrameRejection.BadMessageType);
            }

            if (createdDate == 0)
            {
                return new DecodedFrame(null, FrameRejection.ZeroCreatedDate);
            }

            payload = frame[(int)(headerLength + 4)..];
            var declaredLength = BinaryPrimitives.ReadUInt32BigEndian(span[PayloadLengthOffset..]);
            // The digest is checked whenever there is a payload, declared or not: a sender that
            // leaves PayloadLength at 0 does not get to skip the check.
            if (verifyDigest && (!payload.IsEmpty || declaredLength != 0))
            {
                Span<byte> digest = stackalloc byte[32];
                SHA256.HashData(payload.Span, digest);
                if (!digest.SequenceEqual(span.Slice(DigestOffset, 32)))
                {
                    return new DecodedFrame(null, FrameRejection.DigestMismatch);
                }
            }
        }

        var message = new ChannelMessage(
            messageType!,
            BinaryPrimitives.ReadInt64BigEndian(span[SequenceNumberOffset..]),
            (MessageFlagBits)BinaryPrimitives.ReadUInt64BigEndian(span[FlagsOffset..]),
            ReadMessageId(span.Slice(MessageIdOffset, 16)),
            createdDate,
            (PayloadType)BinaryPrimitives.ReadUInt32BigEndian(span[PayloadTypeOffset..]),
            payload,
            BinaryPrimitives.ReadUInt32BigEndian(span[SchemaVersionOffset..]));
        return new DecodedFrame(message, FrameRejection.None);
    }

    /// <summary>
    /// Writes a message id the way the service's Java heritage lays it out: the canonical UUID
    /// bytes 8–15 (Java's least significant bits) first, then bytes 0–7.
    /// </summary>
    /// <param name="id">The id.</param>
    /// <param name="destination">16 bytes.</param>
    public static void WriteMessageId(Guid id, Span<byte> destination)
    {
        Span<byte> canonical = stackalloc byte[16];
        id.TryWriteBytes(canonical, bigEndian: true, out _);
        canonical[8..].CopyTo(destination);
        canonical[..8].CopyTo(destination[8..]);
    }

    /// <summary>Reads a message id written by <see cref="WriteMessageId"/>.</summary>
    /// <param name="source">16 bytes.</param>
    /// <returns>The id.</returns>
    public static Guid ReadMessageId(ReadOnlySpan<byte> source)
    {
        Span<byte> canonical = stackalloc byte[16];
        source[8..16].CopyTo(canonical);
        source[..8].CopyTo(canonical[8..]);
        return new Guid(canonical, bigEndian: true);
    }

    private static void WriteMessageType(string messageType, Span<byte> destination)
    {
        if (messageType.Length is 0 or > MessageTypeLength || !Ascii.IsValid(messageType))
        {
            throw new ArgumentException($"message type '{messageType}' must be 1 to {MessageTypeLength} ASCII characters", nameof(messageType));
        }

        destination.Fill((byte)' ');
        Encoding.ASCII.GetBytes(messageType, destination);
    }

    private static string? ReadMessageType(ReadOnlySpan<byte> field)
    {
        var trimmed = field.Trim((ReadOnlySpan<byte>)[0, (byte)' ', (byte)'\t', (byte)'\r', (byte)'\n']);
        return trimmed.IsEmpty || !Ascii.IsValid(trimmed) ? null : Encoding.ASCII.GetString(trimmed);
    }
}
