using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace Broker.Core.Sessions;

/// <summary>
/// A session's output on its way to the event log: every channel's reads (and what the broker itself shows, its
/// line editor's echo) pass through the one filter, in turn, under one gate held from filtering until the result
/// is queued. So the filter sees the channels as the one view the client sees, events keep the order the filter
/// released them in, and a full event queue holds every channel back (back-pressure to the program). Held bytes are
/// flushed after the filter's hold delay without output, by the broker's one <see cref="HoldClock"/>: a read that
/// leaves bytes held while the hold is armed only moves its due time, so a stream of reads that each leave a tail held
/// costs a write of the due time per read and no timer of its own.
/// A terminal read that is the echo of keys the client just typed, and all that is held, is released at once, as the
/// hold delay would release it (<see cref="TypedEcho"/>; the argument is in docs/masking.md).
/// </summary>
internal sealed class SessionOutput : IOutputSink, IDisposable
{
    private readonly IOutputFilter _filter;
    private readonly ISessionJournal _journal;
    private readonly ChannelWriter<SessionEvent> _events;
    private readonly CancellationToken _abandon;
    private readonly Action<Exception> _failed;
    // Never disposed: a pump left running after the session ended may still release it (it holds no OS handle).
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HoldClock.Hold? _hold;
    private readonly TimeProvider _time;
    private readonly List<(OutputChannel Channel, PooledOutputBuffer Buffer)> _runs = [];
    // Buffers of runs already queued (empty again once detached): an event per keystroke takes one from here, not a new one.
    private readonly Stack<PooledOutputBuffer> _spareBuffers = new();
    private readonly TypedEcho _echo;
    private int _openChannels;
    private long _generation;
    private long _armedGeneration;
    private long _armedAt;
    // Pumps that are not reading because the recording is behind: the program's output waits in its pipe then,
    // so the time passing is the broker's, not a pause of the program's.
    private int _heldBack;
    // The last size the terminal was given and the filter has not heard yet (columns << 32 | rows), or -1.
    private long _resized = -1;

    public SessionOutput(IOutputFilter filter, int channels, ISessionJournal journal, ChannelWriter<SessionEvent> events, HoldClock holds, Action<Exception> failed, CancellationToken abandon)
    {
        _filter = filter;
        _openChannels = channels;
        _journal = journal;
        _events = events;
        _abandon = abandon;
        _failed = failed;
        _time = holds.Time;
        _echo = new TypedEcho(_time);
        // The flush runs on the clock's thread up to its first wait (the gate, a full event queue), then goes on alone.
        _hold = filter.HoldDelay > TimeSpan.Zero ? holds.Register(() => _ = FlushOnDelayAsync()) : null;
    }

    /// <summary>
    /// Filters <paramref name="data"/> read from <paramref name="channel"/> and queues what is released; the reader is
    /// advanced past it as soon as the filter has taken it. <paramref name="endOfChannel"/>: nothing more comes from it.
    /// </summary>
    public async ValueTask WriteAsync(OutputChannel channel, PipeReader reader, ReadOnlySequence<byte> data, bool endOfChannel)
    {
        await _gate.WaitAsync(_abandon).ConfigureAwait(false);
        try
        {
            ApplyResize();
            var heldBefore = _filter.HasHeldBytes;
            var echo = channel == OutputChannel.Terminal && _echo.IsEcho(data);
            foreach (var segment in data)
            {
                _filter.Push(channel, segment.Span, this);
            }

            reader.AdvanceTo(data.End);
            ReleaseEcho(echo && !endOfChannel, heldBefore);

            if (endOfChannel)
            {
                _filter.EndChannel(channel, this);
                if (--_openChannels == 0)
                {
                    _filter.Complete(this);
                }
            }

            await EmitAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Shows output the broker itself produced (its line editor's echo), through the filter, in order with the rest.
    /// <paramref name="echo"/>: the bytes are the line editor's echo of the agent's keys, which, when they are all that
    /// is held, are released at once as the terminal's echo of typed keys is (the same argument, docs/masking.md).
    /// </summary>
    public async ValueTask ShowAsync(OutputChannel channel, ReadOnlyMemory<byte> data, bool echo = false)
    {
        await _gate.WaitAsync(_abandon).ConfigureAwait(false);
        try
        {
            ApplyResize();
            var heldBefore = _filter.HasHeldBytes;
            _filter.Push(channel, data.Span, this);
            ReleaseEcho(echo, heldBefore);

            await EmitAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Flushes what the filter holds when it is all of an echo of the client's own keys (nothing was held before it): the
    /// hold delay firing now, which the filter must already be right for at any moment. A filter that must wait its
    /// whole delay declines.
    /// </summary>
    private void ReleaseEcho(bool echo, bool heldBefore)
    {
        if (echo && !heldBefore && _filter.HasHeldBytes)
        {
            _filter.TryFlushEcho(this);
        }
    }

    /// <summary>
    /// Keys about to be written to the terminal (typed by the client, shown by the terminal: not a no-echo prompt's).
    /// Their echo, read back alone, is released without waiting for the hold delay.
    /// </summary>
    public void Typed(ReadOnlySpan<byte> keys) => _echo.Typed(keys);

    /// <summary>The terminal was resized: the filter hears it before the next output (any thread may call this).</summary>
    public void Resize(int columns, int rows) => Interlocked.Exchange(ref _resized, ((long)columns << 32) | (uint)rows);

    public IBufferWriter<byte> Channel(OutputChannel channel)
    {
        if (_runs.Count == 0 || _runs[^1].Channel != channel)
        {
            _runs.Add((channel, _spareBuffers.TryPop(out var spare) ? spare : new PooledOutputBuffer()));
        }

        return _runs[^1].Buffer;
    }

    /// <summary>A pump stops reading until the recording catches up; held bytes are not flushed meanwhile.</summary>
    public void HoldBack() => Interlocked.Increment(ref _heldBack);

    /// <summary>A pump reads again: the hold delay starts over from now.</summary>
    public void Resume()
    {
        if (Interlocked.Decrement(ref _heldBack) == 0 && _hold is not null)
        {
            Volatile.Write(ref _armedAt, _time.GetTimestamp());
            _hold.Schedule(_filter.HoldDelay);
        }
    }

    public void Dispose() => _hold?.Dispose();

    private void ApplyResize()
    {
        var size = Interlocked.Exchange(ref _resized, -1);
        if (size >= 0)
        {
            _filter.Resize((int)(size >> 32), (int)size);
        }
    }

    /// <summary>Queues what the filter released, a run per event, then arms the hold if anything is held.</summary>
    private async ValueTask EmitAsync()
    {
        _generation++;
        try
        {
            foreach (var (channel, buffer) in _runs)
            {
                if (buffer.WrittenCount == 0)
                {
                    continue;
                }

                var output = buffer.Detach(channel);
                _journal.Output(channel, output.Data.Span);
                try
                {
                    await _events.WriteAsync(output, _abandon).ConfigureAwait(false);
                }
                catch
                {
                    output.Release();
                    throw;
                }
            }
        }
        finally
        {
            foreach (var (_, buffer) in _runs)
            {
                // A run whose write failed still holds its bytes: it is dropped with them, not reused.
                if (buffer.WrittenCount == 0)
                {
                    _spareBuffers.Push(buffer);
                }
            }

            _runs.Clear();
        }

        if (_filter.HasHeldBytes && _hold is not null)
        {
            _armedGeneration = _generation;
            Volatile.Write(ref _armedAt, _time.GetTimestamp());
            _hold.Schedule(_filter.HoldDelay);
        }
    }

    /// <summary>
    /// The hold fell due: flush, unless output came since it was armed (then wait out the rest of the delay from that
    /// output), a pump is held back by the recording (the program's next bytes may be waiting in its pipe: flushing then
    /// would decide a held candidate by the broker's own pause, differently from one run to the next), or this is a
    /// stale firing of a hold armed again since.
    /// </summary>
    private async Task FlushOnDelayAsync()
    {
        try
        {
            await _gate.WaitAsync(_abandon).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The session is over: nobody reads its output any more.
            return;
        }

        try
        {
            var remaining = _filter.HoldDelay - _time.GetElapsedTime(Volatile.Read(ref _armedAt));
            if (remaining > TimeSpan.Zero && _filter.HasHeldBytes && Volatile.Read(ref _heldBack) == 0)
            {
                // Output came since the clock read the due time, or early (a coarser clock): wait out the rest, never
                // strand held bytes.
                _hold?.Schedule(remaining);
            }
            else if (_armedGeneration == _generation && _filter.HasHeldBytes && Volatile.Read(ref _heldBack) == 0)
            {
                _filter.FlushHeld(this);
                await EmitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // The client left or the session ended meanwhile.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _failed(ex);
        }
        finally
        {
            _gate.Release();
        }
    }
}
