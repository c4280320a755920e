using Recorder.Writing;

namespace Recorder;

/// <summary>
/// The seal. Every session's end waits for it (the exit status is promised after it), so when the background task is
/// idle the sealer writes the last segment and the seal itself instead of handing them over: two thread hops fewer on
/// the end of every exec. The file sync after the seal stays with the background task.
/// </summary>
public sealed partial class RecordingWriter
{
    /// <summary>
    /// Writes everything appended so far and the final signed seal, then stops the writer; later
    /// appends throw. Throws the fault if the recording could not be completed. It returns once
    /// the seal is written (every reader of the file sees a complete recording from then on);
    /// <see cref="DisposeAsync"/> returns once it is also on disk.
    /// </summary>
    public async Task SealAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WriterPumpState? idle;
        WriterWork? segment = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _closed = true;
            idle = TakeIdlePump();
            if (idle is null)
            {
                PostBatchLocked();
            }
            else
            {
                segment = TakeSegmentLocked();
            }
        }

        if (idle is null)
        {
            EnqueueControl(new WriterWork(WriterWorkKind.Seal, Done: done));
        }
        else
        {
            await SealInPlaceAsync(idle, segment, done).ConfigureAwait(false);
        }

        TryPost(new WriterWork(WriterWorkKind.Sync));
        _queue.Writer.TryComplete();
        _backlog.Release();
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a seal now would be written in place: the header is written and nothing is queued or being written.</summary>
    internal bool IsIdle => Volatile.Read(ref _pumpState) is not null && !_queue.Reader.TryPeek(out _) && _pumpTurn.CurrentCount == 1;

    /// <summary>
    /// The background task's state with its turn taken, when it has written the header and has nothing queued (every
    /// record appended so far is in the batch, so writing it and the seal here keeps the file's order); else null.
    /// </summary>
    private WriterPumpState? TakeIdlePump()
    {
        if (Volatile.Read(ref _pumpState) is not { } state || _queue.Reader.TryPeek(out _) || !_pumpTurn.Wait(0))
        {
            return null;
        }

        // The background task takes work only while holding the turn: checked again now that it cannot.
        if (_queue.Reader.TryPeek(out _))
        {
            _pumpTurn.Release();
            return null;
        }

        return state;
    }

    private async Task SealInPlaceAsync(WriterPumpState state, WriterWork? segment, TaskCompletionSource done)
    {
        try
        {
            if (segment is { } work)
            {
                await ProcessAsync(state, work).ConfigureAwait(false);
            }

            // A fault (here or earlier) completes done with it, as the background task would.
            await ProcessAsync(state, new WriterWork(WriterWorkKind.Seal, Done: done)).ConfigureAwait(false);
        }
        finally
        {
            _pumpTurn.Release();
        }
    }
}
