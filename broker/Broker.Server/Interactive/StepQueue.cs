using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace Broker.Server.Interactive;

/// <summary>
/// A line-mode session's queue of steps, read by one loop, whose writer chooses where the waiting loop resumes. A key
/// written from the client's frame reader resumes it on that thread: the reader has nothing else to do until the key
/// is taken, and a channel's own continuation would cross to another thread-pool thread first (a futex wake and two
/// thread switches per keystroke). Every other writer (a prompt marker from inside the output filter, a review's
/// verdict, the session's end) resumes it on the thread pool, as a channel does: the loop never runs inside the
/// filter's push, nor on the descriptor loop's thread.
/// </summary>
internal sealed class StepQueue<T> : IValueTaskSource<bool>
{
    // The queue whose next write, on this thread, may resume its reader here (see WriteResumingHere).
    [ThreadStatic]
    private static StepQueue<T>? t_resumeHere;

    // Continuations run on the writer: this queue decides, per wake-up, whether to resume the reader there or not.
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Action _channelReady;
    private ManualResetValueTaskSourceCore<bool> _core;
    private ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter _pending;

    public StepQueue() => _channelReady = OnChannelReady;

    /// <summary>Queues <paramref name="item"/>; a waiting reader resumes on the thread pool. False once completed.</summary>
    public bool TryWrite(T item) => _channel.Writer.TryWrite(item);

    /// <summary>
    /// Queues <paramref name="item"/>; a waiting reader resumes on this thread, before this returns, and runs until it
    /// waits again. For a writer that holds no lock and is not inside the output filter. False once completed.
    /// </summary>
    public bool WriteResumingHere(T item)
    {
        t_resumeHere = this;
        try
        {
            return _channel.Writer.TryWrite(item);
        }
        finally
        {
            t_resumeHere = null;
        }
    }

    /// <summary>Ends the queue: the reader takes what is queued, then its wait returns false.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Takes the next queued item, if any.</summary>
    public bool TryRead([MaybeNullWhen(false)] out T item) => _channel.Reader.TryRead(out item);

    /// <summary>True when an item can be read, false once the queue is completed and empty. One wait at a time.</summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        var wait = _channel.Reader.WaitToReadAsync(CancellationToken.None);
        if (wait.IsCompleted)
        {
            return wait;
        }

        _core.Reset();
        _pending = wait.ConfigureAwait(false).GetAwaiter();
        _pending.UnsafeOnCompleted(_channelReady);
        return new ValueTask<bool>(this, _core.Version);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void OnChannelReady()
    {
        // Runs on the writer's thread, inside its write. Only the write that asked resumes the reader here; the flag is
        // taken, so a write made by the resumed reader itself (a marker its echo produced) cannot resume it again.
        var here = ReferenceEquals(t_resumeHere, this);
        t_resumeHere = null;
        // The channel's wait is taken before the reader resumes: a resumed reader waits again, which replaces it.
        bool ready;
        Exception? failure = null;
        try
        {
            ready = _pending.GetResult();
        }
        catch (Exception ex)
        {
            ready = false;
            failure = ex;
        }

        _core.RunContinuationsAsynchronously = !here;
        if (failure is not null)
        {
            _core.SetException(failure);
        }
        else
        {
            _core.SetResult(ready);
        }
    }
}
