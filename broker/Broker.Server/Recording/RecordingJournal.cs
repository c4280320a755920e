using Broker.Core.Sessions;
using Broker.Server.Masking;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>A session's journal written as a signed recording.</summary>
internal sealed partial class RecordingJournal : ISessionJournal
{
    private readonly RecordingWriter _writer;
    private readonly ILogger _logger;
    private readonly List<MaskingFilter> _filters = [];
    private readonly Lock _gate = new();
    private long _execCommand;

    public RecordingJournal(RecordingWriter writer, string path, ILogger logger)
    {
        _writer = writer;
        Path = path;
        _logger = logger;
    }

    public string Path { get; }

    public Task<Exception> Faulted => _writer.WhenFaulted;

    /// <summary>Remembers a masker of the session so its counts are recorded when the session ends.</summary>
    public MaskingFilter Track(MaskingFilter filter)
    {
        lock (_gate)
        {
            _filters.Add(filter);
        }

        return filter;
    }

    /// <summary>Records the one command of an exec session; its exit code is recorded with the session's end.</summary>
    public void ExecCommand(CommandRecord command) => _execCommand = _writer.AppendCommand(command);

    /// <summary>Records a command typed in a line-mode session; returns its number for <see cref="CommandExit"/>.</summary>
    public long Command(CommandRecord command) => _writer.AppendCommand(command);

    /// <summary>Records how a typed command ended.</summary>
    public void CommandExit(long command, int exitCode) => _writer.AppendCommandExit(command, exitCode);

    public void Input(ReadOnlySpan<byte> data) => _writer.AppendInput(data);

    public void Output(OutputChannel channel, ReadOnlySpan<byte> data) => _writer.AppendOutput(
        channel switch
        {
            OutputChannel.Stdout => OutputStream.Stdout,
            OutputChannel.Stderr => OutputStream.Stderr,
            _ => OutputStream.Terminal,
        },
        data);

    public void Resize(int columns, int rows) => _writer.AppendResize(columns, rows);

    public void Notice(NoticeKind kind, string message) => _writer.AppendNotice(kind.ToString(), message);

    public void Ended(SessionEvent.Ended ended)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var (name, count) in _filters.SelectMany(f => f.Counts))
            {
                counts[name] = counts.GetValueOrDefault(name) + count;
            }
        }

        if (counts.Count > 0)
        {
            _writer.AppendMaskingCounts(counts);
        }

        if (_execCommand > 0)
        {
            _writer.AppendCommandExit(_execCommand, ended.Code);
        }

        _writer.AppendExit(ended.Code, ended.Signal, ended.Reason.ToString());
    }

    public async Task CompleteAsync()
    {
        try
        {
            await _writer.SealAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RecordingFaultException or IOException)
        {
            LogSealFailed(_logger, Path, ex.Message);
        }
        finally
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Path} could not be sealed: {Reason}")]
    private static partial void LogSealFailed(ILogger logger, string path, string reason);
}
