using System.Threading.Channels;

namespace Broker.Core.Sessions;

/// <summary>The event queue's notices and decisions: queued without waiting, bounded while the client does not read.</summary>
public sealed partial class Session
{
    // Notices and decisions waiting for room in a full event queue. A client that sends frames the session rejects
    // and never reads would otherwise park one writer per frame without limit; past this many they are dropped,
    // counted, and told in one notice once the client reads again.
    internal const int MaxParkedEvents = 64;

    private int _parkedEvents;
    private int _droppedEvents;

    /// <summary>Notices and decisions waiting for room in the event queue (at most <see cref="MaxParkedEvents"/>).</summary>
    public int ParkedEvents => Volatile.Read(ref _parkedEvents);

    /// <summary>Notices and decisions dropped because the client did not read them, not yet reported to it.</summary>
    public int DroppedEvents => Volatile.Read(ref _droppedEvents);

    /// <summary>Tells the client how a command it typed was decided, in order with the output.</summary>
    public void PostDecision(ICommandDecision decision) => Enqueue(new SessionEvent.Decision(decision));

    /// <summary>Tells the client something about its session, in order with the output.</summary>
    public void PostNotice(NoticeKind kind, string message) => Publish(new SessionEvent.Notice(kind, message));

    private void Publish(SessionEvent.Notice notice)
    {
        _context.Journal.Notice(notice.Kind, notice.Message);
        Enqueue(notice);
    }

    /// <summary>
    /// Queues an event without waiting: notices and decisions come from threads that must not block on the client.
    /// While the queue is full, at most <see cref="MaxParkedEvents"/> wait for room; the rest are dropped for the
    /// client (the recording has them all) and counted, and the count is told once room is made.
    /// </summary>
    private void Enqueue(SessionEvent item)
    {
        if (_abandon.IsCancellationRequested)
        {
            return;
        }

        if (Interlocked.Increment(ref _parkedEvents) > MaxParkedEvents)
        {
            Interlocked.Decrement(ref _parkedEvents);
            Interlocked.Increment(ref _droppedEvents);
            return;
        }

        var write = _events.Writer.WriteAsync(item, _abandon.Token);
        if (write.IsCompletedSuccessfully)
        {
            Interlocked.Decrement(ref _parkedEvents);
            ReportDropped();
            return;
        }

        _ = AwaitParkedAsync(write);
    }

    private async Task AwaitParkedAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // The client left or the session ended: nobody will read it.
            Interlocked.Decrement(ref _parkedEvents);
            return;
        }

        Interlocked.Decrement(ref _parkedEvents);
        ReportDropped();
    }

    /// <summary>Once the client reads again, one notice says how many notices and decisions it missed.</summary>
    private void ReportDropped()
    {
        if (Volatile.Read(ref _droppedEvents) == 0 || Volatile.Read(ref _parkedEvents) > 0)
        {
            return;
        }

        var dropped = Interlocked.Exchange(ref _droppedEvents, 0);
        if (dropped > 0)
        {
            Enqueue(new SessionEvent.Notice(NoticeKind.FrameRejected, $"{dropped} notices or decisions were not delivered: the client did not read its session's events (the recording has them)"));
        }
    }
}
