using System.Runtime.CompilerServices;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>One item an observer receives.</summary>
internal abstract record FeedItem
{
    private FeedItem()
    {
    }

    /// <summary>The first item: the session's header and whether it is still running.</summary>
    public sealed record Started(RecordingHeader Header, bool Live) : FeedItem;

    /// <summary>A recorded event.</summary>
    public sealed record Event(RecordedEvent Recorded) : FeedItem;

    /// <summary>Records [From, To) could not be delivered.</summary>
    public sealed record Gap(long From, long To, string Reason) : FeedItem;
}

/// <summary>
/// A session's events for an observer: from the recording file up to where its live feed
/// starts, then live. An observer that falls behind is cut off by the journal and comes back
/// here to catch up from the file, so it gets every record without ever slowing the session.
/// Catching up starts at the segment holding the first missing record: earlier segments are
/// stepped over undecoded, so a lagging observer late in a long session does not re-read it all.
/// </summary>
internal sealed class RecordingFeed
{
    private readonly RecordingCatalog _catalog;
    private readonly int _capacity;

    public RecordingFeed(RecordingCatalog catalog, int capacity)
    {
        _catalog = catalog;
        _capacity = capacity;
    }

    /// <summary>Null when there is no such recording.</summary>
    public IAsyncEnumerable<FeedItem>? Open(string sessionId, bool fromStart)
    {
        var journal = _catalog.Running(sessionId);
        if (journal?.Subscribe(_capacity) is { } subscription)
        {
            return LiveAsync(journal, subscription, fromStart);
        }

        return journal is not null || _catalog.Find(sessionId) is not null ? EndedAsync(sessionId, journal) : null;
    }

    /// <summary>A recording that is complete (or being closed): all of it, then the end.</summary>
    private async IAsyncEnumerable<FeedItem> EndedAsync(string sessionId, RecordingJournal? closing, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (closing is not null)
        {
            await closing.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var location = _catalog.Find(sessionId);
        if (location is null)
        {
            yield break;
        }

        await foreach (var item in ReadFileAsync(location, 0, long.MaxValue, withHeader: true, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private async IAsyncEnumerable<FeedItem> LiveAsync(RecordingJournal journal, RecordingSubscription subscription, bool fromStart, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return new FeedItem.Started(journal.Header, Live: true);
        var position = fromStart ? 0 : subscription.StartIndex;
        try
        {
            while (true)
            {
                if (position < subscription.StartIndex)
                {
                    await foreach (var item in CatchUpAsync(journal, position, subscription.StartIndex, cancellationToken).ConfigureAwait(false))
                    {
                        yield return item;
                    }
                }

                await foreach (var recorded in subscription.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return new FeedItem.Event(recorded);
                }

                if (subscription.ResumeFrom is not { } resume)
                {
                    // The session ended and every record reached this observer live.
                    yield break;
                }

                position = resume;
                if (journal.Subscribe(_capacity) is { } next)
                {
                    subscription = next;
                    continue;
                }

                // The session ended while this observer was behind: the rest is in the closed file.
                await journal.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
                await foreach (var item in ReadFileAsync(journal.Path, position, long.MaxValue, withHeader: false, cancellationToken).ConfigureAwait(false))
                {
                    yield return item;
                }

                yield break;
            }
        }
        finally
        {
            journal.Unsubscribe(subscription);
        }
    }

    /// <summary>Records [from, to) from the file, after making sure they are written.</summary>
    private async IAsyncEnumerable<FeedItem> CatchUpAsync(RecordingJournal journal, long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await journal.FlushForReadersAsync(cancellationToken).ConfigureAwait(false);
        var reached = from;
        await foreach (var item in ReadFileAsync(journal.Path, from, to, withHeader: false, cancellationToken).ConfigureAwait(false))
        {
            if (item is FeedItem.Event recorded)
            {
                reached = recorded.Recorded.Index + 1;
            }

            yield return item;
        }

        if (reached < to)
        {
            yield return new FeedItem.Gap(reached, to, "the recording could not be read back (it failed to write); the session was ended");
        }
    }

    private async IAsyncEnumerable<FeedItem> ReadFileAsync(string location, long from, long to, bool withHeader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var stream = _catalog.Storage.OpenRead(location);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = RecordingReader.Open(stream);
            if (withHeader)
            {
                yield return new FeedItem.Started(reader.Header, Live: false);
            }

            // A damaged file ends the catch-up where the damage starts; the caller reports the records it lacks.
            await foreach (var recorded in reader.ReadEventsAsync(from, cancellationToken).ConfigureAwait(false))
            {
                if (recorded.Index >= to)
                {
                    yield break;
                }

                yield return new FeedItem.Event(recorded);
            }
        }
    }
}
