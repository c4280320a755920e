namespace Broker.Ssm.DataChannel;

/// <summary>
/// One side's outgoing data messages: the sequence counter, and every sent frame kept (with its
/// last send time) until the other side acknowledges it by sequence number. Not thread-safe:
/// the channel serialises access.
/// </summary>
internal sealed class OutgoingStream
{
    private readonly LinkedList<Entry> _entries = new();
    private readonly Dictionary<long, LinkedListNode<Entry>> _bySequence = [];

    public OutgoingStream(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>How many unacknowledged frames may be kept; a sender waits when it is reached.</summary>
    public int Capacity { get; }

    /// <summary>The sequence number the next data message gets.</summary>
    public long NextSequenceNumber { get; private set; }

    /// <summary>Frames sent and not yet acknowledged.</summary>
    public int Count => _entries.Count;

    /// <summary>Whether a new frame must wait for acknowledgements.</summary>
    public bool IsFull => _entries.Count >= Capacity;

    /// <summary>Takes the next sequence number.</summary>
    public long Reserve() => NextSequenceNumber++;

    /// <summary>Keeps a frame until it is acknowledged.</summary>
    public void Add(long sequenceNumber, byte[] frame, DateTimeOffset sentAt)
    {
        var node = _entries.AddLast(new Entry(sequenceNumber, frame, sentAt));
        _bySequence[sequenceNumber] = node;
    }

    /// <summary>
    /// Drops the acknowledged frame wherever it is in the buffer; returns the time since it was
    /// last sent (the round-trip sample), or null when no such frame is kept (a repeated ack).
    /// </summary>
    public TimeSpan? Acknowledge(long sequenceNumber, DateTimeOffset now)
    {
        if (!_bySequence.Remove(sequenceNumber, out var node))
        {
            return null;
        }

        _entries.Remove(node);
        return now - node.Value.LastSent;
    }

    /// <summary>
    /// The oldest frame, if it has waited longer than <paramref name="timeout"/>; its send time
    /// is moved to <paramref name="now"/> (as the agent does: AWS's client never moves it and
    /// so repeats the head on every tick).
    /// </summary>
    public byte[]? TakeDueForResend(DateTimeOffset now, TimeSpan timeout)
    {
        if (_entries.First is not { } head || now - head.Value.LastSent <= timeout)
        {
            return null;
        }

        head.Value = head.Value with { LastSent = now };
        return head.Value.Frame;
    }

    /// <summary>Every kept frame in sequence order, marked as sent at <paramref name="now"/> (after a reconnect).</summary>
    public IReadOnlyList<byte[]> TakeAllForResend(DateTimeOffset now)
    {
        var frames = new List<byte[]>(_entries.Count);
        for (var node = _entries.First; node is not null; node = node.Next)
        {
            node.Value = node.Value with { LastSent = now };
            frames.Add(node.Value.Frame);
        }

        return frames;
    }

    private readonly record struct Entry(long SequenceNumber, byte[] Frame, DateTimeOffset LastSent);
}
