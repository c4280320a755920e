namespace Broker.Ssm.Protocol;

/// <summary>
/// One binary data-channel message (one WebSocket frame). The digest and both length fields are
/// derived from <see cref="Payload"/> when encoding, and checked when decoding.
/// </summary>
/// <param name="MessageType">One of <see cref="MessageTypes"/> (at most 32 ASCII characters).</param>
/// <param name="SequenceNumber">The sender's stream counter for data messages; 0 for the rest.</param>
/// <param name="Flags">SYN on the first output message, 3 on acknowledgements.</param>
/// <param name="MessageId">A random id; acknowledgements name it.</param>
/// <param name="CreatedDate">Milliseconds since the Unix epoch; never 0.</param>
/// <param name="PayloadType">What the payload is.</param>
/// <param name="Payload">The payload bytes.</param>
/// <param name="SchemaVersion">Always 1 today.</param>
public sealed record ChannelMessage(
    string MessageType,
    long SequenceNumber,
    MessageFlagBits Flags,
    Guid MessageId,
    ulong CreatedDate,
    PayloadType PayloadType,
    ReadOnlyMemory<byte> Payload,
    uint SchemaVersion = 1)
{
    /// <summary>Whether this is a sequenced data message (input or output stream data).</summary>
    public bool IsStreamData => MessageType is MessageTypes.InputStreamData or MessageTypes.OutputStreamData;
}
