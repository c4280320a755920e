using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Broker.Core.Targets;

namespace Broker.Core.Sessions;

/// <summary>
/// One running session: a target process, its output pumped through the session's filter into
/// an ordered event stream, its input, its limits. Everything the client sees comes from
/// <see cref="Events"/>; the last event is always <see cref="SessionEvent.Ended"/>.
/// </summary>
public sealed partial class Session : IDisposable
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
    private readonly TaskCompletionSource _endedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _whenEnded;
    private long _lastActivityTicks;
    private long _idleWarnedForTicks;
    private bool _durationWarned;
    private volatile bool _ended;
    private volatile bool _outputAbandoned;
    private volatile bool _outputStopped;
    private long _bytesRead;
    private int _journalWaits;
    private int _columns;
    private int _rows;

    internal Session(SessionContext context, ITargetProcess process, int columns, int rows)
    {
        _context = context;
        _process = process;
        _columns = columns;
        _rows = rows;
        StartedAt = context.Time.GetUtcNow();
        _lastActivityTicks = StartedAt.UtcTicks;
        _watchdog = context.Time.CreateTimer(_ => OnWatchdog(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _output = new SessionOutput(context.CreateFilter(), process.ErrorOutput is null ? 1 : 2, context.Journal, _events.Writer, context.Holds, FilterFailed, _abandon.Token);
        _input = new InputRecorder(context.CreateInputFilter(), context.Journal, context.Holds);
        ScheduleWatchdog(StartedAt);
        _ = context.Journal.Faulted.ContinueWith(
            t => Terminate(
                t.Result is JournalLimitException ? SessionEndReason.RecordingLimit : SessionEndReason.ControlFailed,
                t.Result is JournalLimitException limit ? $"{limit.Message}; the session was ended and its recording sealed" : $"the session recording cannot be written ({t.Result.Message}); the session was ended"),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
        if (context.OpeningNotice is { } notice)
        {
            // Before the output pump starts: the notice is the first event the client and the recording see.
            PostNotice(NoticeKind.Info, notice);
        }

        _completion = RunAsync();
        // Ends with the session's end or, should the run fail before it, with the run (its fault included).
        _whenEnded = Task.WhenAny(_endedSignal.Task, _completion).Unwrap();
    }

    /// <summary>The session's id (see <see cref="SessionIds"/>), which its recording also carries.</summary>
    public string Id => _context.Id;

    /// <summary>The identity the session belongs to.</summary>
    public SessionOwner Owner => _context.Owner;

    /// <summary>The roles it was opened under.</summary>
    public IReadOnlyList<string> Roles => _context.Roles;

    /// <summary>The target it runs on.</summary>
    public string Target => _context.Target;

    /// <summary>A terminal or a command.</summary>
    public SessionKind Kind => _context.Kind;

    /// <summary>When it started, by the session's clock.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The limits the session runs under.</summary>
    public SessionLimits Limits => _context.Limits;

    /// <summary>When it ended; null while it runs.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>How it ended (exit code, signal, reason); null while it runs.</summary>
    public SessionEvent.Ended? ExitStatus { get; private set; }

    /// <summary>Whether it has not ended yet.</summary>
    public bool IsRunning => !_ended;

    /// <summary>The terminal's size (zero for a command).</summary>
    public (int Columns, int Rows) Size => (Volatile.Read(ref _columns), Volatile.Read(ref _rows));

    /// <summary>The session's events for its client, in order, ending with the exit.</summary>
    public ChannelReader<SessionEvent> Events => _events.Reader;

    /// <summary>Completes when the session has ended and its processes are gone (its account released, when it had one).</summary>
    public Task Completion => _completion;

    /// <summary>
    /// Completes when the session has ended: the program's exit is known and recorded, the recording sealed and the
    /// last event queued. Its account may still be being released then (that is <see cref="Completion"/>), which the
    /// client has no reason to wait for.
    /// </summary>
    public Task Ended => _whenEnded;

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

            // Recorded before it is written: once written, the program may act on it and end the session (an `exit`)
            // before a record made afterwards could be taken, and the record would lose the input that ended it.
            if (record != InputRecording.None)
            {
                _input.Record(data.Span, redact);
            }

            // Keys typed at a terminal come back as its echo (the line discipline's or the program's own), which may
            // then go out without the masker's hold delay; a no-echo prompt shows nothing back.
            if (record == InputRecording.Typed && !redact && Kind == SessionKind.Interactive)
            {
                _output.Typed(data.Span);
            }

            return await _process.WriteInputAsync(data, cancellationToken).ConfigureAwait(false) ? InputResult.Accepted : InputResult.Ended;
        }
        finally
        {
            _inputGate.Release();
        }
    }

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
        _endedSignal.TrySetResult();
        await _process.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Releases what the session kept after it ended (call once <see cref="Completion"/> is done).</summary>
    public void Dispose()
    {
        _abandon.Dispose();
        _inputGate.Dispose();
    }

}
