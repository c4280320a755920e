using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace Broker.Core.Sessions;

/// <summary>
/// A session's output on its way to the event log: every channel's reads (and what the broker itself shows, its
/// line editor's echo) pass through the one filter, in turn, under one gate held from filtering until the result
/// is queued. So the filter sees the channels as the one view the client sees, events keep the order the filter
/// released them in, and a full event queue holds every channel back (back-pressure to the program). Held bytes are
/// flushed by a timer after the filter's hold delay without output.
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
    private readonly ITimer? _holdTimer;
    private readonly List<(OutputChannel Channel, PooledOutputBuffer Buffer)> _runs = [];
    private int _openChannels;
    private long _generation;
    private long _armedGeneration;
    // The last size the terminal was given and the filter has not heard yet (columns << 32 | rows), or -1.
    private long _resized = -1;

    public SessionOutput(IOutputFilter filter, int channels, ISessionJournal journal, ChannelWriter<SessionEvent> events, TimeProvider time, Action<Exception> failed, CancellationToken abandon)
    {
        _filter = filter;
        _openChannels = channels;
        _journal = journal;
        _events = events;
        _abandon = abandon;
        _failed = failed;
        _holdTimer = filter.HoldDelay > TimeSpan.Zero ? time.CreateTimer(_ => _ = FlushOnDelayAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) : null;
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
            foreach (var segment in data)
            {
                _filter.Push(channel, segment.Span, this);
            }

            reader.AdvanceTo(data.End);
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

    /// <summary>Shows output the broker itself produced (its line editor's echo), through the filter, in order with the rest.</summary>
    public async ValueTask ShowAsync(OutputChannel channel, ReadOnlyMemory<byte> data)
    {
        await _gate.WaitAsync(_abandon).ConfigureAwait(false);
        try
        {
            ApplyResize();
            _filter.Push(channel, data.Span, this);
            await EmitAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The terminal was resized: the filter hears it before the next output (any thread may call this).</summary>
    public void Resize(int columns, int rows) => Interlocked.Exchange(ref _resized, ((long)columns << 32) | (uint)rows);

    public IBufferWriter<byte> Channel(OutputChannel channel)
    {
        if (_runs.Count == 0 || _runs[^1].Channel != channel)
        {
            _runs.Add((channel, new PooledOutputBuffer()));
        }

        return _runs[^1].Buffer;
    }

    public void Dispose() => _holdTimer?.Dispose();

    private void ApplyResize()
    {
        var size = Interlocked.Exchange(ref _resized, -1);
        if (size >= 0)
        {
            _filter.Resize((int)(size >> 32), (int)size);
        }
    }

    /// <summary>Queues what the filter released, a run per event, then arms the hold timer if anything is held.</summary>
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
            _runs.Clear();
        }

        if (_filter.HasHeldBytes && _holdTimer is not null)
        {
            _armedGeneration = _generation;
            _holdTimer.Change(_filter.HoldDelay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The hold delay passed: unless output came since the timer was armed (which armed it again), flush.</summary>
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
            if (_armedGeneration == _generation && _filter.HasHeldBytes)
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
