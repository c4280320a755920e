using System.Threading.Channels;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>
/// One observer's live feed of a session's records. The journal writes to it without ever
/// waiting: when the bounded buffer is full the observer is cut off and told from which record
/// to catch up from the recording file, so a slow observer never slows the session.
/// </summary>
internal sealed class RecordingSubscription
{
    private readonly Channel<RecordedEvent> _channel;

    public RecordingSubscription(long startIndex, int capacity)
    {
        StartIndex = startIndex;
        _channel = Channel.CreateBounded<RecordedEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The first record this feed delivers; earlier records are in the file.</summary>
    public long StartIndex { get; }

    /// <summary>Set when the observer fell behind: the first record it did not get live.</summary>
    public long? ResumeFrom { get; private set; }

    /// <summary>Live records in order; completes when the session ends or the observer fell behind.</summary>
    public ChannelReader<RecordedEvent> Reader => _channel.Reader;

    /// <summary>Called under the journal's lock; false when the buffer is full.</summary>
    public bool TryWrite(RecordedEvent recorded) => _channel.Writer.TryWrite(recorded);

    /// <summary>Called under the journal's lock once a record did not fit.</summary>
    public void FellBehind(long index)
    {
        ResumeFrom = index;
        _channel.Writer.TryComplete();
    }

    /// <summary>The session ended: everything was delivered.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
