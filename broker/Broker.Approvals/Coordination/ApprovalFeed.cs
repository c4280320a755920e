using System.Threading.Channels;

namespace Broker.Approvals;

/// <summary>
/// Live changes for watchers. Each watcher has a bounded queue; a watcher that falls that far behind is ended
/// (its stream completes with <see cref="ApprovalFeedOverflowException"/>, the client re-lists), so a stalled
/// watcher never grows the broker's memory or delays a decision.
/// </summary>
public sealed class ApprovalFeed
{
    private readonly Lock _gate = new();
    private readonly List<Channel<ApprovalEvent>> _watchers = [];
    private readonly int _capacity;

    /// <summary>A feed whose watchers each buffer at most <paramref name="capacity"/> events.</summary>
    public ApprovalFeed(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Starts watching; dispose the subscription to stop.</summary>
    public ApprovalSubscription Subscribe()
    {
        var channel = Channel.CreateBounded<ApprovalEvent>(new BoundedChannelOptions(_capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        lock (_gate)
        {
            _watchers.Add(channel);
        }

        return new ApprovalSubscription(channel.Reader, () => Remove(channel));
    }

    /// <summary>Hands <paramref name="approvalEvent"/> to every watcher.</summary>
    public void Publish(ApprovalEvent approvalEvent)
    {
        List<Channel<ApprovalEvent>>? overflowed = null;
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                if (!watcher.Writer.TryWrite(approvalEvent))
                {
                    (overflowed ??= []).Add(watcher);
                }
            }
        }

        foreach (var watcher in overflowed ?? [])
        {
            watcher.Writer.TryComplete(new ApprovalFeedOverflowException());
            Remove(watcher);
        }
    }

    private void Remove(Channel<ApprovalEvent> channel)
    {
        lock (_gate)
        {
            _watchers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }
}

/// <summary>One watcher's view of the feed.</summary>
public sealed class ApprovalSubscription : IDisposable
{
    private readonly Action _remove;

    internal ApprovalSubscription(ChannelReader<ApprovalEvent> events, Action remove)
    {
        Events = events;
        _remove = remove;
    }

    /// <summary>The events since the subscription began.</summary>
    public ChannelReader<ApprovalEvent> Events { get; }

    /// <inheritdoc />
    public void Dispose() => _remove();
}

/// <summary>A watcher fell too far behind and was ended.</summary>
public sealed class ApprovalFeedOverflowException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ApprovalFeedOverflowException()
        : base("the watcher fell too far behind; list the requests again and watch anew")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ApprovalFeedOverflowException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public ApprovalFeedOverflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
