using System.Text.Json;

namespace Broker.Ssm.Protocol;

/// <summary>The unsequenced messages both ends write the same way: acknowledgements and service notices.</summary>
public static class ControlMessages
{
    /// <summary>A control message (sequence 0, flags SYN|FIN, no payload type), as AWS's client and agent write them.</summary>
    /// <param name="messageType">acknowledge, channel_closed, start_publication, pause_publication…</param>
    /// <param name="payload">The payload.</param>
    /// <param name="now">The creation time.</param>
    /// <returns>The frame.</returns>
    public static byte[] Frame(string messageType, ReadOnlyMemory<byte> payload, DateTimeOffset now) => ChannelMessageCodec.Encode(new ChannelMessage(
        messageType, 0, MessageFlagBits.Syn | MessageFlagBits.Fin, Guid.NewGuid(), (ulong)now.ToUnixTimeMilliseconds(), PayloadType.None, payload));

    /// <summary>The acknowledgement of a data message.</summary>
    /// <param name="acknowledged">The data message.</param>
    /// <param name="now">The creation time.</param>
    /// <returns>The frame.</returns>
    public static byte[] Acknowledgement(ChannelMessage acknowledged, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(acknowledged);
        var content = new AcknowledgeContent(acknowledged.MessageType, acknowledged.MessageId.ToString(), acknowledged.SequenceNumber, true);
        return Frame(MessageTypes.Acknowledge, JsonSerializer.SerializeToUtf8Bytes(content, SsmJsonContext.Default.AcknowledgeContent), now);
    }

    /// <summary>The sequence number an acknowledgement names (the only field receivers match on); null when it cannot be read.</summary>
    /// <param name="acknowledgement">The acknowledge message.</param>
    /// <returns>The sequence number.</returns>
    public static long? AcknowledgedSequence(ChannelMessage acknowledgement)
    {
        ArgumentNullException.ThrowIfNull(acknowledgement);
        try
        {
            return JsonSerializer.Deserialize(acknowledgement.Payload.Span, SsmJsonContext.Default.AcknowledgeContent)?.AcknowledgedMessageSequenceNumber;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
