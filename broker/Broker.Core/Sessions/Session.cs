using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Broker.Core.Targets;

namespace Broker.Core.Sessions;

/// <summary>What a session needs besides its process.</summary>
internal sealed record SessionContext
{
    public required string Id { get; init; }

    public required SessionOwner Owner { get; init; }

    public required IReadOnlyList<string> Roles { get; init; }

    public required string Target { get; init; }

    public required SessionKind Kind { get; init; }

    public required SessionLimits Limits { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>The recording of the session.</summary>
    public ISessionJournal Journal { get; init; } = DiscardingJournal.Instance;

    /// <summary>Creates the session's output filter: one for all its channels, which the client sees together.</summary>
    public Func<IOutputFilter> CreateFilter { get; init; } = () => PassThroughFilter.Instance;

    /// <summary>Creates the filter the session's input goes through on its way to the recording.</summary>
    public Func<IInputFilter> CreateInputFilter { get; init; } = () => PassThroughInputFilter.Instance;
}

/// <summary>
/// One running session: a target process, its output pumped through the session's filter into
/// an ordered event stream, its input, its limits. Everything the client sees comes from
/// <see cref="Events"/>; the last event is always <see cref="SessionEvent.Ended"/>.
/// </summary>
internal sealed class Session : IDisposable
{
    // Output waits for the reader (back-pressure to the program) once this many events queue up.
    private const int EventQueueDepth = 32;
    // Below the large-object threshold (85,000 bytes) so event buffers stay in the young generations.
    private const int MaxEventBytes = 64 * 1024;
    // How long a pump may read nothing after the program exited before its output counts as held open from outside.
    // Generous: on a busy machine a pump whose pipe already reached its end can wait seconds for a core, and cutting
    // it off loses the program's last output (and an exec capture's replacement, written when the channel ends).
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    // Output still read after the program exited, past which a pump that keeps reading is cut off: what was
    // buffered at the exit (the kernel's pipe, the channel's 1 MiB, the recording's backlog) is far less.
    private const long MaxDrainBytes = 32L * 1024 * 1024;
    // Notices and decisions waiting for room in a full event queue. A client that sends frames the session rejects
    // and never reads would otherwise park one writer per frame without limit; past this many they are dropped,
    // counted, and told in one notice once the client reads again.
    internal const int MaxParkedEvents = 64;

    private readonly SessionContext _context;
    private readonly ITargetProcess _process;
    // Synchronous continuations: the writer of an event (the output pump, most often) goes on to
    // hand it to a waiting client writer itself, instead of queueing that for another pool thread.
    // A keystroke's echo crosses one thread-pool hop fewer, which is what a loaded machine's latency tail is made of.
    private readonly Channel<SessionEvent> _events = Channel.CreateBounded<SessionEvent>(
        new BoundedChannelOptions(EventQueueDepth) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait, AllowSynchronousContinuations = true });
    private readonly TaskCompletionSource<(SessionEndReason Reason, string? Message)> _termination = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abandon = new();
    private readonly ITimer _watchdog;
    private readonly SemaphoreSlim _inputGate = new(1, 1);

    // Every channel's reads and ShowAsync go through it one at a time, from filtering until the output is queued: the
    // filter sees the channels as one view, and what the line editor shows in answer to a prompt marker (found while
    // filtering) comes after the prompt that carried it.
    private readonly SessionOutput _output;
    private readonly InputRecorder _input;
    private readonly Task _completion;
    private long _lastActivityTicks;
    private long _idleWarnedForTicks;
    private bool _durationWarned;
    private volatile bool _ended;
    private volatile bool _outputAbandoned;
    private volatile bool _outputStopped;
    private long _bytesRead;
    private int _journalWaits;
    private int _parkedEvents;
    private int _droppedEvents;
    private int _columns;
    private int _rows;

    public Session(SessionContext context, ITargetProcess process, int columns, int rows)
    {
        _context = context;
        _process = process;
        _columns = columns;
        _rows = rows;
        StartedAt = context.Time.GetUtcNow();
        _lastActivityTicks = StartedAt.UtcTicks;
        _watchdog = context.Time.CreateTimer(_ => OnWatchdog(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _output = new SessionOutput(context.CreateFilter(), process.ErrorOutput is null ? 1 : 2, context.Journal, _events.Writer, context.Time, FilterFailed, _abandon.Token);
        _input = new InputRecorder(context.CreateInputFilter(), context.Journal, context.Time);
        ScheduleWatchdog(StartedAt);
        _ = context.Journal.Faulted.ContinueWith(
            t => Terminate(
                t.Result is JournalLimitException ? SessionEndReason.RecordingLimit : SessionEndReason.ControlFailed,
                t.Result is JournalLimitException limit ? $"{limit.Message}; the session was ended and its recording sealed" : $"the session recording cannot be written ({t.Result.Message}); the session was ended"),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
        _completion = RunAsync();
    }

    public string Id => _context.Id;

    public SessionOwner Owner => _context.Owner;

    public IReadOnlyList<string> Roles => _context.Roles;

    public string Target => _context.Target;

    public SessionKind Kind => _context.Kind;

    public DateTimeOffset StartedAt { get; }

    /// <summary>The limits the session runs under.</summary>
    public SessionLimits Limits => _context.Limits;

    public DateTimeOffset? EndedAt { get; private set; }

    public SessionEvent.Ended? ExitStatus { get; private set; }

    public bool IsRunning => !_ended;

    public (int Columns, int Rows) Size => (Volatile.Read(ref _columns), Volatile.Read(ref _rows));

    /// <summary>The session's events for its client, in order, ending with the exit.</summary>
    public ChannelReader<SessionEvent> Events => _events.Reader;

    /// <summary>Completes when the session has ended and its processes are gone.</summary>
    public Task Completion => _completion;

    /// <summary>Notices and decisions waiting for room in the event queue (at most <see cref="MaxParkedEvents"/>).</summary>
    public int ParkedEvents => Volatile.Read(ref _parkedEvents);

    /// <summary>Notices and decisions dropped because the client did not read them, not yet reported to it.</summary>
    public int DroppedEvents => Volatile.Read(ref _droppedEvents);

    /// <summary>Delivers input to the program.</summary>
    public ValueTask<InputResult> SendInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_context.Limits.CheckInputFrame(data.Length) is { } problem)
        {
            return ValueTask.FromResult(InputResult.Rejected(problem));
        }

        Touch();
        return WriteToTargetAsync(data, InputRecording.Typed, cancellationToken);
    }

    /// <summary>Writes to the program's input and records it as <paramref name="record"/> says.</summary>
    public async ValueTask<InputResult> WriteToTargetAsync(ReadOnlyMemory<byte> data, InputRecording record, CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return InputResult.Ended;
        }

        if (record != InputRecording.None)
        {
            // Input is recorded as it is delivered: while the recording is behind, the client waits.
            await _context.Journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
        }

        await _inputGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The terminal's modes when the input reaches it: a program reading a password may turn echo back on as
            // soon as it has read the line.
            var redact = record == InputRecording.Typed && _process.InputMode == TerminalInputMode.NoEchoLine;
            if (!await _process.WriteInputAsync(data, cancellationToken).ConfigureAwait(false))
            {
                return InputResult.Ended;
            }

            if (record != InputRecording.None)
            {
                _input.Record(data.Span, redact);
            }

            return InputResult.Accepted;
        }
        finally
        {
            _inputGate.Release();
        }
    }

    /// <summary>
    /// Shows the client terminal output that the broker itself produced (its line editor's echo), in order with the
    /// rest and through the same filter: what the agent types is masked like what the program prints.
    /// </summary>
    public async ValueTask ShowAsync(OutputChannel stream, ReadOnlyMemory<byte> data)
    {
        if (_ended || _abandon.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await _output.ShowAsync(stream, data).ConfigureAwait(false);
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

    /// <summary>Tells the client how a command it typed was decided, in order with the output.</summary>
    public void PostDecision(ICommandDecision decision) => Enqueue(new SessionEvent.Decision(decision));

    /// <summary>Turns the terminal's echo on or off (line mode: the broker echoes at the prompt).</summary>
    public bool SetTerminalEcho(bool enabled) => !_ended && _process.SetEcho(enabled);

    /// <summary>Signals the end of the client's input.</summary>
    public async ValueTask<InputResult> EndInputAsync(CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return InputResult.Ended;
        }

        await _inputGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _process.CompleteInputAsync(cancellationToken).ConfigureAwait(false);
            return InputResult.Accepted;
        }
        finally
        {
            _inputGate.Release();
        }
    }

    /// <summary>Resizes the terminal.</summary>
    public InputResult Resize(long columns, long rows)
    {
        if (_ended)
        {
            return InputResult.Ended;
        }

        if (_context.Limits.CheckSize(columns, rows) is { } problem)
        {
            return InputResult.Rejected(problem);
        }

        if (!_process.Resize((int)columns, (int)rows))
        {
            return InputResult.Rejected(Kind == SessionKind.Exec ? "an exec session has no terminal to resize" : "the terminal could not be resized");
        }

        Volatile.Write(ref _columns, (int)columns);
        Volatile.Write(ref _rows, (int)rows);
        _output.Resize((int)columns, (int)rows);
        _context.Journal.Resize((int)columns, (int)rows);
        Touch();
        return InputResult.Accepted;
    }

    /// <summary>Delivers a signal to the foreground job.</summary>
    public InputResult Signal(TargetSignal signal)
    {
        if (_ended)
        {
            return InputResult.Ended;
        }

        Touch();
        return _process.Signal(signal) ? InputResult.Accepted : InputResult.Rejected($"signal {signal} could not be delivered");
    }

    /// <summary>Ends the session (first caller wins). <paramref name="message"/> is shown to the client.</summary>
    public void Terminate(SessionEndReason reason, string? message) => _termination.TrySetResult((reason, message));

    /// <summary>The client is gone: stop waiting for it and end the session.</summary>
    public void Abandon()
    {
        if (!_ended)
        {
            _abandon.Cancel();
        }

        Terminate(SessionEndReason.ClientClosed, null);
    }

    /// <summary>Tells the client something about its session, in order with the output.</summary>
    public void PostNotice(NoticeKind kind, string message) => Publish(new SessionEvent.Notice(kind, message));

    private void Touch() => Volatile.Write(ref _lastActivityTicks, _context.Time.GetUtcNow().UtcTicks);

    private async Task RunAsync()
    {
        await Task.Yield();
        var pumps = new List<Task>(2)
        {
            PumpAsync(_process.Output, Kind == SessionKind.Interactive ? OutputChannel.Terminal : OutputChannel.Stdout),
        };
        if (_process.ErrorOutput is { } errors)
        {
            pumps.Add(PumpAsync(errors, OutputChannel.Stderr));
        }

        var reason = SessionEndReason.Exited;
        var first = await Task.WhenAny(_process.Exited, _termination.Task).ConfigureAwait(false);
        if (first == _termination.Task)
        {
            (reason, var message) = _termination.Task.Result;
            if (message is not null)
            {
                Publish(new SessionEvent.Notice(NoticeKind.SessionEnding, message));
            }
        }

        // The session is over when its program is: background jobs it left behind die with it.
        if (reason == SessionEndReason.RecordingLimit)
        {
            // Whatever the program wrote past the limit is neither recorded nor shown.
            _outputStopped = true;
        }

        _process.KillAll();
        var exit = await _process.Exited.ConfigureAwait(false);
        await DrainAsync(Task.WhenAll(pumps)).ConfigureAwait(false);

        _ended = true;
        _watchdog.Dispose();
        _output.Dispose();
        _input.Complete();
        EndedAt = _context.Time.GetUtcNow();
        ExitStatus = new SessionEvent.Ended(exit.Code, exit.Signal, reason);
        _context.Journal.Ended(ExitStatus);
        await _context.Journal.CompleteAsync().ConfigureAwait(false);
        if (!_abandon.IsCancellationRequested)
        {
            try
            {
                await _events.Writer.WriteAsync(ExitStatus, _abandon.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client left while we were telling it how the session ended.
            }
        }

        _events.Writer.TryComplete();
        await _process.DisposeAsync().ConfigureAwait(false);
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

    /// <summary>Releases what the session kept after it ended (call once <see cref="Completion"/> is done).</summary>
    public void Dispose()
    {
        _abandon.Dispose();
        _inputGate.Dispose();
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
        try
        {
            await capacity.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _journalWaits);
        }
    }

    /// <summary>A filter that cannot decide must not let output through: the session ends instead.</summary>
    private void FilterFailed(Exception ex)
    {
        _outputAbandoned = true;
        Terminate(SessionEndReason.ControlFailed, $"output filtering failed ({ex.GetType().Name}); the session was ended so that nothing unfiltered is shown");
    }

    private void Publish(SessionEvent.Notice notice)
    {
        _context.Journal.Notice(notice.Kind, notice.Message);
        Enqueue(notice);
    }

    /// <summary>
    /// Queues an event without waiting: notices and decisions come from threads that must not block on the client.
    /// While the queue is full, at most <see cref="MaxParkedEvents"/> wait for room; the rest are dropped for the
    /// client (the recording has them all) and counted, and the count is told once room is made.
    /// </summary>
    private void Enqueue(SessionEvent item)
    {
        if (_abandon.IsCancellationRequested)
        {
            return;
        }

        if (Interlocked.Increment(ref _parkedEvents) > MaxParkedEvents)
        {
            Interlocked.Decrement(ref _parkedEvents);
            Interlocked.Increment(ref _droppedEvents);
            return;
        }

        var write = _events.Writer.WriteAsync(item, _abandon.Token);
        if (write.IsCompletedSuccessfully)
        {
            Interlocked.Decrement(ref _parkedEvents);
            ReportDropped();
            return;
        }

        _ = AwaitParkedAsync(write);
    }

    private async Task AwaitParkedAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // The client left or the session ended: nobody will read it.
            Interlocked.Decrement(ref _parkedEvents);
            return;
        }

        Interlocked.Decrement(ref _parkedEvents);
        ReportDropped();
    }

    /// <summary>Once the client reads again, one notice says how many notices and decisions it missed.</summary>
    private void ReportDropped()
    {
        if (Volatile.Read(ref _droppedEvents) == 0 || Volatile.Read(ref _parkedEvents) > 0)
        {
            return;
        }

        var dropped = Interlocked.Exchange(ref _droppedEvents, 0);
        if (dropped > 0)
        {
            Enqueue(new SessionEvent.Notice(NoticeKind.FrameRejected, $"{dropped} notices or decisions were not delivered: the client did not read its session's events (the recording has them)"));
        }
    }

    private void OnWatchdog()
    {
        if (_ended)
        {
            return;
        }

        var now = _context.Time.GetUtcNow();
        var limits = _context.Limits;
        var lastActivity = new DateTimeOffset(Volatile.Read(ref _lastActivityTicks), TimeSpan.Zero);
        var durationEnd = StartedAt + limits.MaxDuration;
        var idleEnd = lastActivity + limits.IdleTimeout;
        if (now >= durationEnd)
        {
            Terminate(SessionEndReason.MaxDuration, $"the session reached its maximum duration of {Format(limits.MaxDuration)}");
            return;
        }

        if (now >= idleEnd)
        {
            Terminate(SessionEndReason.IdleTimeout, $"the session was idle for {Format(limits.IdleTimeout)}");
            return;
        }

        if (!_durationWarned && now >= durationEnd - limits.WarningBefore)
        {
            _durationWarned = true;
            Publish(new SessionEvent.Notice(NoticeKind.MaxDurationWarning, $"the session reaches its maximum duration of {Format(limits.MaxDuration)} in {Format(durationEnd - now)}"));
        }

        if (_idleWarnedForTicks != lastActivity.UtcTicks && now >= idleEnd - limits.WarningBefore)
        {
            _idleWarnedForTicks = lastActivity.UtcTicks;
            Publish(new SessionEvent.Notice(NoticeKind.IdleTimeoutWarning, $"the session is idle and will be closed in {Format(idleEnd - now)}"));
        }

        ScheduleWatchdog(now);
    }

    private void ScheduleWatchdog(DateTimeOffset now)
    {
        var limits = _context.Limits;
        var lastActivity = new DateTimeOffset(Volatile.Read(ref _lastActivityTicks), TimeSpan.Zero);
        var durationEnd = StartedAt + limits.MaxDuration;
        var idleEnd = lastActivity + limits.IdleTimeout;
        var next = durationEnd < idleEnd ? durationEnd : idleEnd;
        if (!_durationWarned && durationEnd - limits.WarningBefore < next)
        {
            next = durationEnd - limits.WarningBefore;
        }

        if (_idleWarnedForTicks != lastActivity.UtcTicks && idleEnd - limits.WarningBefore < next)
        {
            next = idleEnd - limits.WarningBefore;
        }

        var due = next - now;
        _watchdog.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private static string Format(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#}h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#}m" : $"{Math.Max(0, span.TotalSeconds):0}s";
}
