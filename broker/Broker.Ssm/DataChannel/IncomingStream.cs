using Broker.Ssm.Protocol;

namespace Broker.Ssm.DataChannel;

/// <summary>What to do with one received data message.</summary>
internal enum IncomingDisposition
{
    /// <summary>The expected message: deliver it (and any buffered successors), then acknowledge it.</summary>
    Deliver,

    /// <summary>Ahead of the expected one and kept: acknowledge it now, deliver it later.</summary>
    Buffered,

    /// <summary>Already delivered: acknowledge it again (the ack was lost), deliver nothing.</summary>
    Duplicate,

    /// <summary>Ahead, but the buffer is full: neither acknowledge nor keep it; the sender resends.</summary>
    Dropped,
}

/// <summary>
/// One side's incoming data messages: the expected sequence number and the messages that
/// arrived ahead of it (bounded). Not thread-safe: the channel's receive loop owns it.
/// </summary>
internal sealed class IncomingStream
{
    private readonly Dictionary<long, ChannelMessage> _ahead = [];

    public IncomingStream(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>How many out-of-order messages may wait.</summary>
    public int Capacity { get; }

    /// <summary>The next sequence number to deliver.</summary>
    public long Expected { get; private set; }

    /// <summary>Messages waiting for an earlier one.</summary>
    public int BufferedCount => _ahead.Count;

    /// <summary>
    /// Classifies <paramref name="message"/>. For <see cref="IncomingDisposition.Deliver"/>,
    /// <paramref name="ready"/> receives it and every buffered successor now in order; a buffered
    /// message's payload is copied, since the frame it came in is reused.
    /// </summary>
    public IncomingDisposition Receive(ChannelMessage message, List<ChannelMessage> ready)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(ready);
        if (message.SequenceNumber < Expected)
        {
            return IncomingDisposition.Duplicate;
        }

        if (message.SequenceNumber > Expected)
        {
            if (_ahead.ContainsKey(message.SequenceNumber))
            {
                return IncomingDisposition.Buffered;
            }

            if (_ahead.Count >= Capacity)
            {
                return IncomingDisposition.Dropped;
            }

            _ahead[message.SequenceNumber] = message with { Payload = message.Payload.ToArray() };
            return IncomingDisposition.Buffered;
        }

        ready.Add(message);
        Expected++;
        while (_ahead.Remove(Expected, out var next))
        {
            ready.Add(next);
            Expected++;
        }

        return IncomingDisposition.Deliver;
    }
}
