using System.Diagnostics;

namespace Broker.Harness.Machine;

/// <summary>
/// The wall clock in microseconds since the Unix epoch: the one clock the harness, its client workers and the broker's
/// pause log (BROKER_GC_PAUSE_LOG) share. Reading it from the monotonic stopwatch, against one wall-clock reading taken
/// at start, keeps a sample's time as cheap and as steady as the stopwatch.
/// </summary>
internal static class WallClock
{
    private static readonly long s_originTicks = Stopwatch.GetTimestamp();
    private static readonly long s_originUs = UnixMicroseconds(DateTime.UtcNow);

    public static long UnixMicroseconds(DateTime time) => (time.ToUniversalTime() - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>The stopwatch timestamp <paramref name="timestamp"/> on the wall clock.</summary>
    public static long FromTimestamp(long timestamp) => s_originUs + (long)((timestamp - s_originTicks) * (1_000_000.0 / Stopwatch.Frequency));

    public static long Now() => FromTimestamp(Stopwatch.GetTimestamp());
}
