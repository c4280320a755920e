using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Broker.Server.Hosting;

/// <summary>
/// A diagnostic, off unless <see cref="Variable"/> names a file: every time the runtime stops the broker's threads (a
/// collection, or another suspension such as the JIT's call-counting clean-up) one line is appended to that file,
/// <c>START_UNIX_US DURATION_US GENERATION</c> (generation -1 for a suspension that was not a collection). The start is
/// the wall clock in microseconds since the Unix epoch, a clock every process on the machine shares, so a benchmark can
/// tell which of its slowest echoes met one of the broker's pauses (bench/Broker.Harness, tail attribution). The
/// runtime's own GC events are read in process (an <see cref="EventListener"/> on its event source), so when the
/// variable is unset no listener exists and nothing is traced.
/// </summary>
internal sealed class GcPauseLog : EventListener, IHostedService
{
    /// <summary>The environment variable naming the file; unset or empty leaves the log off.</summary>
    public const string Variable = "BROKER_GC_PAUSE_LOG";

    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStart = 1;
    private const int RestartEeEnd = 3;
    private const int SuspendEeBegin = 9;

    private readonly Lock _gate = new();
    private readonly StreamWriter _file;
    private DateTime? _suspended;
    private int _generation = -1;
    private bool _stopped;

    public GcPauseLog(string path)
    {
        // Appended, not replaced: a broker restarted into the same file adds to it rather than losing what came first.
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    /// <summary>The log for this process's environment, or null when it is off.</summary>
    public static GcPauseLog? FromEnvironment() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? new GcPauseLog(path) : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Close();
        return Task.CompletedTask;
    }

    public override void Dispose()
    {
        base.Dispose();
        Close();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Called from the base constructor for sources that already exist, before this class's fields are set: only
        // the base class is touched here.
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        lock (_gate)
        {
            switch (eventData.EventId)
            {
                case SuspendEeBegin:
                    _suspended = eventData.TimeStamp;
                    _generation = -1;
                    break;
                case GcStart when eventData.PayloadNames?.IndexOf("Depth") is { } depth and >= 0:
                    _generation = Convert.ToInt32(eventData.Payload![depth], CultureInfo.InvariantCulture);
                    break;
                case RestartEeEnd when _suspended is { } start && !_stopped:
                    _file.WriteLine(Line(start, eventData.TimeStamp, _generation));
                    // Pauses come a few a second at most; each line is on disk before the next pause.
                    _file.Flush();
                    _suspended = null;
                    break;
                default:
                    break;
            }
        }
    }

    private void Close()
    {
        lock (_gate)
        {
            _stopped = true;
            _file.Dispose();
        }
    }

    /// <summary>One pause's line: its start (µs since the Unix epoch), its length (µs) and the generation collected.</summary>
    internal static string Line(DateTime start, DateTime end, int generation) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{(start.ToUniversalTime() - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond} {(end - start).Ticks / TimeSpan.TicksPerMicrosecond} {generation}");
}
