using System.Globalization;
using Broker.Harness.Measurements;

namespace Broker.Harness.Workers;

/// <summary>
/// The lines a client worker and its parent exchange (space-separated fields, invariant culture; a system's name is the
/// last field and may contain spaces):
/// <list type="bullet">
/// <item>worker: <c>ready</c> once it has built its systems;</item>
/// <item>parent: <c>open COUNT PARALLEL SYSTEM</c>, worker: <c>opened OPENED FAILURES</c>;</item>
/// <item>parent: <c>type WINDOW_MS PERIOD_MS FIRST STRIDE TOTAL</c>, worker:
/// <c>typed UNRESPONSIVE CPU_SECONDS PAUSES START:LENGTH:GENERATION… SENT:MS…</c> (its runtime's pauses in the window,
/// then every echo: the key's send time in µs on the shared wall clock and the echo's latency);</item>
/// <item>parent: <c>close</c>, worker: <c>closed</c>;</item>
/// <item>worker, instead of any reply: <c>error MESSAGE</c>, then it exits non-zero.</item>
/// </list>
/// The parent closing the worker's stdin (or dying) ends it.
/// </summary>
internal static class WorkerProtocol
{
    public const string Ready = "ready";
    public const string Open = "open";
    public const string Opened = "opened";
    public const string Type = "type";
    public const string Typed = "typed";
    public const string Close = "close";
    public const string Closed = "closed";
    public const string Error = "error";

    public static string Format(FormattableString line) => line.ToString(CultureInfo.InvariantCulture);

    public static int Int(string field) => int.Parse(field, NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>An echo of a <c>typed</c> reply, <c>SENT_US:MS</c>, timed by client worker <paramref name="client"/>.</summary>
    public static EchoSample Sample(string field, int client)
    {
        var colon = field.IndexOf(':', StringComparison.Ordinal);
        return new EchoSample(long.Parse(field.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture), Double(field[(colon + 1)..]), client);
    }

    public static double Double(string field) => double.Parse(field, NumberStyles.Float, CultureInfo.InvariantCulture);
}
