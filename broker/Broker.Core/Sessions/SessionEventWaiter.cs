using System.Runtime.CompilerServices;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace Broker.Core.Sessions;

/// <summary>
/// Waits for a session's next events on behalf of the one call that reads them, cancelled with that call, without an
/// object per wait. A channel's <c>WaitToReadAsync</c> with a cancellable token allocates a waiter and a token
/// registration every time its reader waits (about 200 bytes: once per keystroke's echo); without a token it reuses
/// one. This waits without a token and registers the call's token once, for the call's whole life.
/// </summary>
public sealed class SessionEventWaiter : IValueTaskSource<bool>, IDisposable
{
    private const int Idle = 0;
    private const int Waiting = 1;

    private readonly ChannelReader<SessionEvent> _events;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _registration;
    private readonly Action _channelReady;
    // Continuations run where the result is set (the event's writer, or the cancelling thread), as the channel's own
    // waiter ran them: an echo crosses no thread-pool hop more than it did.
    private ManualResetValueTaskSourceCore<bool> _core;
    private ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter _pending;
    private int _state;

    /// <summary>Waits on <paramref name="events"/> until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="events">The session's events (one reader: this waiter's caller).</param>
    /// <param name="cancellationToken">The reading call's token.</param>
    public SessionEventWaiter(ChannelReader<SessionEvent> events, CancellationToken cancellationToken)
    {
        _events = events;
        _cancellationToken = cancellationToken;
        _channelReady = OnChannelReady;
        _registration = cancellationToken.UnsafeRegister(static s => ((SessionEventWaiter)s!).OnCancelled(), this);
    }

    /// <summary>
    /// Completes with true when an event can be read, false when the session's events have ended; throws
    /// <see cref="OperationCanceledException"/> once the call's token is cancelled. One wait at a time.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var wait = _events.WaitToReadAsync(CancellationToken.None);
        if (wait.IsCompleted)
        {
            return wait;
        }

        _core.Reset();
        _pending = wait.ConfigureAwait(false).GetAwaiter();
        Volatile.Write(ref _state, Waiting);
        _pending.UnsafeOnCompleted(_channelReady);
        // A cancellation that came before the state said Waiting found nothing to complete.
        if (_cancellationToken.IsCancellationRequested)
        {
            OnCancelled();
        }

        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Stops listening for the call's cancellation.</summary>
    public void Dispose() => _registration.Dispose();

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void OnChannelReady()
    {
        // The channel's own wait is taken (its reusable waiter freed) whether or not a cancellation answered first.
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

        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) != Waiting)
        {
            return;
        }

        if (failure is not null)
        {
            _core.SetException(failure);
        }
        else
        {
            _core.SetResult(ready);
        }
    }

    private void OnCancelled()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
        {
            _core.SetException(new OperationCanceledException(_cancellationToken));
        }
    }
}
