using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Broker.Harness.Machine;

/// <summary>One stop of every thread of a process by its runtime: start on the wall clock (µs since the Unix epoch), length in µs.</summary>
internal readonly record struct GcPause(long StartUs, long LengthUs, int Generation)
{
    public long EndUs => StartUs + LengthUs;

    /// <summary>Parses a line of the broker's pause log (<c>START_US LENGTH_US GENERATION</c>), or the worker protocol's <c>START:LENGTH:GENERATION</c>.</summary>
    public static GcPause Parse(string text)
    {
        var fields = text.Split(' ', ':');
        return new GcPause(
            long.Parse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture),
            long.Parse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture),
            int.Parse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture));
    }

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{StartUs}:{LengthUs}:{Generation}");

    /// <summary>The pauses in the broker's log (bench/run's BROKER_GC_PAUSE_LOG) that overlap [<paramref name="fromUs"/>, <paramref name="toUs"/>].</summary>
    public static IReadOnlyList<GcPause> ReadLog(string path, long fromUs, long toUs)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        var pauses = new List<GcPause>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            var pause = Parse(line);
            if (pause.EndUs >= fromUs && pause.StartUs <= toUs)
            {
                pauses.Add(pause);
            }
        }

        return pauses;
    }
}

/// <summary>
/// This process's runtime pauses (collections and other suspensions), read from the runtime's own GC events in process,
/// stamped on the wall clock so that they line up with the broker's (BROKER_GC_PAUSE_LOG) and with the echo samples'
/// send times (<see cref="WallClock"/>).
/// </summary>
internal sealed class GcPauses : EventListener
{
    private const int GcStart = 1;
    private const int RestartEeEnd = 3;
    private const int SuspendEeBegin = 9;
    private static readonly Lazy<GcPauses> s_inThisProcess = new(() => new GcPauses());
    private readonly ConcurrentQueue<GcPause> _pauses = new();
    private DateTime? _suspended;
    private int _generation = -1;

    private GcPauses()
    {
    }

    /// <summary>This process's recorder, started on first use and kept for the process's life (one event session, not one per window).</summary>
    public static GcPauses InThisProcess => s_inThisProcess.Value;

    /// <summary>The pauses recorded so far that overlap [<paramref name="fromUs"/>, <paramref name="toUs"/>].</summary>
    public IReadOnlyList<GcPause> Between(long fromUs, long toUs) => [.. _pauses.Where(p => p.EndUs >= fromUs && p.StartUs <= toUs)];

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Called from the base constructor, before this class's fields are set: only the base class is touched.
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        // One dispatch thread delivers the runtime's events, in order.
        switch (eventData.EventId)
        {
            case SuspendEeBegin:
                _suspended = eventData.TimeStamp;
                _generation = -1;
                break;
            case GcStart when eventData.PayloadNames?.IndexOf("Depth") is { } depth and >= 0:
                _generation = Convert.ToInt32(eventData.Payload![depth], CultureInfo.InvariantCulture);
                break;
            case RestartEeEnd when _suspended is { } start:
                _pauses.Enqueue(new GcPause(WallClock.UnixMicroseconds(start), (eventData.TimeStamp - start).Ticks / TimeSpan.TicksPerMicrosecond, _generation));
                _suspended = null;
                break;
            default:
                break;
        }
    }
}
