using System.IO.Pipelines;
using System.Threading.Channels;

namespace Broker.Core.Sessions;

/// <summary>The output pump: the program's output read through the filter into the event queue, the recording first, and drained when the program exits.</summary>
public sealed partial class Session
{
    /// <summary>
    /// Shows the client terminal output that the broker itself produced (its line editor's echo), in order with the
    /// rest and through the same filter: what the agent types is masked like what the program prints.
    /// <paramref name="echo"/>: the bytes are the line editor's echo of keys the agent just typed, released as the
    /// terminal's own echo of typed keys is (without waiting for the hold delay).
    /// </summary>
    public async ValueTask ShowAsync(OutputChannel stream, ReadOnlyMemory<byte> data, bool echo = false)
    {
        if (_ended || _abandon.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await _output.ShowAsync(stream, data, echo).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException or ObjectDisposedException)
        {
            // The client left or the session ended meanwhile.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            FilterFailed(ex);
        }
    }

    /// <summary>
    /// Waits for the output the program left behind to be read. A pump that reads, or waits for a recording
    /// that is catching up, is still draining; one that does neither for <see cref="DrainTimeout"/> is waiting
    /// on something outside the session (a process that called setsid holds the output open) and is cut off.
    /// </summary>
    private async Task DrainAsync(Task pumps)
    {
        var readAtExit = Volatile.Read(ref _bytesRead);
        while (true)
        {
            var readBefore = Volatile.Read(ref _bytesRead);
            try
            {
                await pumps.WaitAsync(DrainTimeout, _abandon.Token).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException)
            {
                var read = Volatile.Read(ref _bytesRead);
                if (read - readAtExit < MaxDrainBytes && (read != readBefore || Volatile.Read(ref _journalWaits) > 0))
                {
                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                // The client is gone: nobody reads the rest.
            }

            _outputAbandoned = true;
            _process.Output.CancelPendingRead();
            _process.ErrorOutput?.CancelPendingRead();
            return;
        }
    }

    private async Task PumpAsync(PipeReader reader, OutputChannel stream)
    {
        try
        {
            while (true)
            {
                // While the recording is behind, the program's output is not read: the pipe fills and the
                // program blocks, as it does for a slow client. A slow recorder slows the session, never ends it.
                await WaitForJournalAsync().ConfigureAwait(false);
                if (_outputStopped || _context.Journal.Faulted is { IsCompletedSuccessfully: true, Result: JournalLimitException })
                {
                    // Past the journal's limit nothing more is read: the session is ending, and what the program
                    // writes now would be shown unrecorded or recorded past the cap.
                    break;
                }

                var result = await reader.ReadAsync().ConfigureAwait(false);
                var data = result.Buffer;
                if (EchoStages.Enabled && data.Length <= 64)
                {
                    EchoStages.Mark(this, EchoStages.Stage.PumpWoke);
                }

                // A cancelled empty read: the session gave up waiting for this output (something outside it holds it open).
                if (result.IsCanceled && data.IsEmpty)
                {
                    if (_outputAbandoned)
                    {
                        break;
                    }

                    continue;
                }

                // Events stay below the large-object threshold; the rest of a large read is taken next time round.
                var take = data.Length > MaxEventBytes ? data.Slice(0, MaxEventBytes) : data;
                var completed = result.IsCompleted && take.Length == data.Length;
                await _output.WriteAsync(stream, reader, take, completed).ConfigureAwait(false);
                if (EchoStages.Enabled && take.Length <= 64)
                {
                    EchoStages.Mark(this, EchoStages.Stage.Queued);
                }

                if (!take.IsEmpty)
                {
                    Interlocked.Add(ref _bytesRead, take.Length);
                    Touch();
                }

                if (completed)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client is gone; nobody reads the output any more.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            FilterFailed(ex);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask WaitForJournalAsync()
    {
        var capacity = _context.Journal.WaitForCapacityAsync(_abandon.Token);
        if (capacity.IsCompleted)
        {
            await capacity.ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _journalWaits);
        _output.HoldBack();
        try
        {
            await capacity.ConfigureAwait(false);
        }
        finally
        {
            _output.Resume();
            Interlocked.Decrement(ref _journalWaits);
        }
    }

    /// <summary>A filter that cannot decide must not let output through: the session ends instead.</summary>
    private void FilterFailed(Exception ex)
    {
        _outputAbandoned = true;
        Terminate(SessionEndReason.ControlFailed, $"output filtering failed ({ex.GetType().Name}); the session was ended so that nothing unfiltered is shown");
    }
}
