using Broker.Core.Sessions;
using Broker.Server.Masking;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>
/// A session's journal written as a signed recording. It sees every event in order, so it is
/// also where live observers are fed: each append learns its record index from the writer, and
/// the same index is what an observer resumes from when it catches up from the file.
/// </summary>
internal sealed partial class RecordingJournal : ISessionJournal
{
    private readonly RecordingWriter _writer;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly Action<RecordingJournal>? _completed;
    private SessionMasking? _masking;
    // Appends and subscriptions take this lock so a record index is either in the file before a
    // subscription starts or delivered to it live, never neither.
    private readonly Lock _live = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RecordingQuota _quota;
    private RecordingSubscription[] _subscribers = [];
    private bool _closed;
    private long _execCommand;
    private long _bytesAtLastCheck;
    private RecordingCounts _counts = RecordingCounts.None;

    public RecordingJournal(RecordingWriter writer, string path, ILogger logger, TimeProvider time, Action<RecordingJournal>? completed, RecordingQuota? quota = null)
    {
        _writer = writer;
        Path = path;
        _logger = logger;
        _time = time;
        _startTimestamp = time.GetTimestamp();
        _completed = completed;
        _quota = quota ?? RecordingQuota.Unlimited;
        _ = writer.WhenFaulted.ContinueWith(t => _stopped.TrySetResult(t.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public string Path { get; }

    public RecordingHeader Header => _writer.Header;

    /// <summary>Completes when the recording cannot go on: the writer failed, or a limit of <see cref="RecordingQuota"/> was reached (a <see cref="JournalLimitException"/>).</summary>
    public Task<Exception> Faulted => _stopped.Task;

    /// <summary>What the seal committed to, once the recording is sealed.</summary>
    public RecordingSeal? Seal => _writer.Seal;

    public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => _writer.WaitForCapacityAsync(cancellationToken);

    /// <summary>Completes once the recording is sealed (the file then holds every record; see <see cref="WriterClosed"/> for the disk).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Commands recorded so far, by decision.</summary>
    public RecordingCounts Counts
    {
        get
        {
            lock (_live)
            {
                return _counts;
            }
        }
    }

    /// <summary>
    /// The exit recorded when the session ended; null before. Nothing is appended after it: the recording ends
    /// there, and what races the end (the line editor's last write, an echo) never reached a running program.
    /// </summary>
    public SessionEvent.Ended? Exit { get; private set; }

    /// <summary>
    /// The session's masking: command lines, reasons and facts are masked with it before they are recorded (observers
    /// and exports read the records), and its counts are recorded when the session ends.
    /// </summary>
    public SessionMasking Masking
    {
        get => _masking ?? throw new InvalidOperationException("the journal has no masking");
        set => _masking = value;
    }

    /// <summary>Where the decided commands and the end are posted as audit events (null: not audited, in tests).</summary>
    public Audit.AuditTrail? Audit { get; init; }

    /// <summary>Records the one command of an exec session; its exit code is recorded with the session's end.</summary>
    public void ExecCommand(CommandRecord command)
    {
        command = Masked(command);
        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            var index = _writer.EventCount;
            _execCommand = _writer.AppendCommand(command);
            _counts = _counts.WithCommand(command.Decision);
            Audit?.Post(Server.Audit.AuditProjection.Command(Header, _execCommand, command));
            Publish(() => new CommandEvent(index, Offset(), command with { Number = _execCommand }));
        }
    }

    /// <summary>Records a command typed in an interactive session; returns its number for <see cref="CommandExit"/>.</summary>
    public long Command(CommandRecord command)
    {
        command = Masked(command);
        lock (_live)
        {
            if (Exit is not null)
            {
                return 0;
            }

            var index = _writer.EventCount;
            var number = _writer.AppendCommand(command);
            _counts = _counts.WithCommand(command.Decision);
            Audit?.Post(Server.Audit.AuditProjection.Command(Header, number, command));
            Publish(() => new CommandEvent(index, Offset(), command with { Number = number }));
            return number;
        }
    }

    /// <summary>
    /// Records a step of a command's approval (requested, decided, executed, closed); an exec session's step is about
    /// its one command whatever <see cref="ApprovalRecord.CommandNumber"/> says.
    /// </summary>
    public void Approval(ApprovalRecord step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_masking is { } masking && step.Reason is { } reason)
        {
            step = step with { Reason = masking.Text(reason) };
        }

        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            step = _execCommand > 0 ? step with { CommandNumber = _execCommand } : step;
            var index = _writer.EventCount;
            _writer.AppendApproval(step);
            _counts = step.Kind == ApprovalEventKind.Requested ? _counts with { Approvals = _counts.Approvals + 1 } : _counts;
            Publish(() => new ApprovalEvent(index, Offset(), step));
        }
    }

    /// <summary>Records how a typed command ended.</summary>
    public void CommandExit(long command, int exitCode)
    {
        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            var index = _writer.EventCount;
            _writer.AppendCommandExit(command, exitCode);
            Publish(() => new CommandExitEvent(index, Offset(), command, exitCode));
        }
    }

    public void Input(ReadOnlySpan<byte> data)
    {
        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            var index = _writer.EventCount;
            _writer.AppendInput(data);
            if (_subscribers.Length > 0)
            {
                Publish(new InputEvent(index, Offset(), data.ToArray()));
            }

            CheckQuotaLocked();
        }
    }

    public void Output(OutputChannel channel, ReadOnlySpan<byte> data)
    {
        var stream = channel switch
        {
            OutputChannel.Stdout => OutputStream.Stdout,
            OutputChannel.Stderr => OutputStream.Stderr,
            _ => OutputStream.Terminal,
        };
        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            var index = _writer.EventCount;
            _writer.AppendOutput(stream, data);
            if (_subscribers.Length > 0)
            {
                Publish(new OutputEvent(index, Offset(), stream, data.ToArray()));
            }

            CheckQuotaLocked();
        }
    }

    /// <summary>Ends the session (through <see cref="Faulted"/>) once the recording reaches its cap or the disk its floor.</summary>
    private void CheckQuotaLocked()
    {
        if (_stopped.Task.IsCompleted)
        {
            return;
        }

        var written = _writer.BytesWritten;
        _quota.Space?.Grew(written - _bytesAtLastCheck);
        _bytesAtLastCheck = written;
        // What waits for the writer counts too: it reaches the disk whatever happens next.
        if (_quota.Reached(written + _writer.UnwrittenBytes) is { } limit)
        {
            LogLimitReached(_logger, Header.SessionId, limit);
            _stopped.TrySetResult(new JournalLimitException(limit));
        }
    }

    public void Resize(int columns, int rows)
    {
        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            var index = _writer.EventCount;
            _writer.AppendResize(columns, rows);
            Publish(() => new ResizeEvent(index, Offset(), columns, rows));
        }
    }

    public void Notice(NoticeKind kind, string message)
    {
        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            var index = _writer.EventCount;
            _writer.AppendNotice(kind.ToString(), message);
            Publish(() => new NoticeEvent(index, Offset(), kind.ToString(), message));
        }
    }

    public void Ended(SessionEvent.Ended ended)
    {
        var counts = _masking?.Counts ?? new Dictionary<string, long>();
        lock (_live)
        {
            if (Exit is not null)
            {
                return;
            }

            if (counts.Count > 0)
            {
                var index = _writer.EventCount;
                _writer.AppendMaskingCounts(counts);
                Publish(() => new MaskingCountsEvent(index, Offset(), counts));
            }

            if (_execCommand > 0)
            {
                var index = _writer.EventCount;
                _writer.AppendCommandExit(_execCommand, ended.Code);
                Publish(() => new CommandExitEvent(index, Offset(), _execCommand, ended.Code));
            }

            var exitIndex = _writer.EventCount;
            _writer.AppendExit(ended.Code, ended.Signal, ended.Reason.ToString());
            Exit = ended;
            Audit?.Post(Server.Audit.AuditProjection.Ended(Header, ended));
            Publish(() => new ExitEvent(exitIndex, Offset(), ended.Code, ended.Signal, ended.Reason.ToString()));
        }
    }

    private CommandRecord Masked(CommandRecord command) => _masking is not { } masking ? command : command with
    {
        Text = masking.Text(command.Text),
        Reason = command.Reason is null ? null : masking.Text(command.Reason),
        FactsJson = command.FactsJson is null ? null : masking.Json(command.FactsJson),
    };

    private long Offset()
    {
        var elapsed = _time.GetElapsedTime(_startTimestamp);
        return elapsed.Ticks * 100;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} ends: {Limit}")]
    private static partial void LogLimitReached(ILogger logger, string sessionId, string limit);
}
