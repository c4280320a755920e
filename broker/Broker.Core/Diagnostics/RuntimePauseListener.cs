using System.Diagnostics.Tracing;
using System.Globalization;

namespace Broker.Core.Diagnostics;

/// <summary>One stop of every managed thread of this process by its runtime: a collection, or another suspension.</summary>
/// <param name="Start">When the runtime began suspending the threads (the event's time stamp, UTC).</param>
/// <param name="End">When it had restarted them.</param>
/// <param name="Generation">The generation collected, or -1 for a suspension that was not a collection.</param>
public readonly record struct RuntimePause(DateTime Start, DateTime End, int Generation);

/// <summary>
/// Reports this process's runtime pauses as they end, read in process from the runtime's own GC events (an
/// <see cref="EventListener"/> on its event source), so that a diagnostic can line them up with other processes' times.
/// The broker's opt-in pause log and the benchmark harness's client workers both read their pauses through this, so
/// the two sides of a comparison are decoded the same way.
/// </summary>
public sealed class RuntimePauseListener : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStart = 1;
    private const int RestartEeEnd = 3;
    private const int SuspendEeBegin = 9;

    // Null until the constructor's body runs: the base constructor may already deliver events, which are then dropped.
    private readonly Action<RuntimePause>? _ended;
    private DateTime? _suspended;
    private int _generation = -1;

    /// <param name="ended">Called on the runtime's event dispatch thread, one pause at a time; it must return quickly.</param>
    public RuntimePauseListener(Action<RuntimePause> ended) => _ended = ended;

    /// <inheritdoc/>
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Called from the base constructor for sources that already exist, before this class's fields are set: only
        // the base class is touched here.
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    /// <inheritdoc/>
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        // One dispatch thread delivers the runtime's events, in order: a suspension's begin, its collection, its end.
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
                _suspended = null;
                _ended?.Invoke(new RuntimePause(start, eventData.TimeStamp, _generation));
                break;
            default:
                break;
        }
    }
}
