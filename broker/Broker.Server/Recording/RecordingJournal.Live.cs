using Recorder;

namespace Broker.Server.Recording;

/// <summary>Live observers: fed from the same appends as the file, and caught up from the file when they fall behind.</summary>
internal sealed partial class RecordingJournal
{
    /// <summary>
    /// Starts a live feed at the next record; null once the recording is closing (read the file
    /// after <see cref="Completion"/> instead).
    /// </summary>
    public RecordingSubscription? Subscribe(int capacity)
    {
        lock (_live)
        {
            if (_closed)
            {
                return null;
            }

            var subscription = new RecordingSubscription(_writer.EventCount, capacity);
            _subscribers = [.. _subscribers, subscription];
            return subscription;
        }
    }

    /// <summary>Stops a live feed (the observer left).</summary>
    public void Unsubscribe(RecordingSubscription subscription)
    {
        lock (_live)
        {
            _subscribers = [.. _subscribers.Where(s => s != subscription)];
        }
    }

    /// <summary>
    /// Makes every record appended so far readable from the file, for an observer catching up.
    /// When the recording is closing (or failed, which ends the session), waits until it is closed:
    /// the file then holds all it will ever hold.
    /// </summary>
    public async Task FlushForReadersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or RecordingFaultException or IOException)
        {
            await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Publish(Func<RecordedEvent> create)
    {
        if (_subscribers.Length > 0)
        {
            Publish(create());
        }
    }

    private void Publish(RecordedEvent recorded)
    {
        var behind = false;
        foreach (var subscriber in _subscribers)
        {
            if (!subscriber.TryWrite(recorded))
            {
                subscriber.FellBehind(recorded.Index);
                behind = true;
            }
        }

        if (behind)
        {
            _subscribers = [.. _subscribers.Where(s => s.ResumeFrom is null)];
        }
    }
}
