namespace Broker.Server.Interactive;

/// <summary>
/// Bytes of client input queued for the line editor and not yet handed to the shell. The client's
/// frame reader waits while the budget is spent, so it stops reading its stream and HTTP/2 flow
/// control holds the client: input sent faster than the program takes it waits in the client,
/// never in the broker's memory.
/// </summary>
internal sealed class QueuedInputBudget(int capacity)
{
    private readonly Lock _gate = new();
    private int _queued;
    private bool _closed;
    private TaskCompletionSource? _freed;

    /// <summary>Bytes queued now.</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queued;
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="bytes"/> from the budget, waiting while it is spent; false once the budget is
    /// closed (the session ended). A single frame larger than the whole budget is taken when nothing is queued.
    /// </summary>
    public async ValueTask<bool> TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                if (_closed)
                {
                    return false;
                }

                if (_queued == 0 || _queued + bytes <= capacity)
                {
                    _queued += bytes;
                    return true;
                }

                _freed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                freed = _freed.Task;
            }

            await freed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives back what a processed frame took.</summary>
    public void Return(int bytes)
    {
        TaskCompletionSource? freed;
        lock (_gate)
        {
            _queued -= bytes;
            freed = _freed;
            _freed = null;
        }

        freed?.TrySetResult();
    }

    /// <summary>Refuses every later take and wakes the waiters.</summary>
    public void Close()
    {
        TaskCompletionSource? freed;
        lock (_gate)
        {
            _closed = true;
            freed = _freed;
            _freed = null;
        }

        freed?.TrySetResult();
    }
}
