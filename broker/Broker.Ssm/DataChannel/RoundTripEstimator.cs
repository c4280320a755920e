namespace Broker.Ssm.DataChannel;

/// <summary>
/// The data channel's retransmission timeout, as both AWS's client and agent compute it: start
/// at 200 ms (smoothed round trip 100 ms, variation 0); on each acknowledgement with round trip
/// R, variation = ¾·variation + ¼·|smoothed − R|, smoothed = ⅞·smoothed + ⅛·R, and the timeout
/// is smoothed + max(10 ms, 4·variation), never above 1 s.
/// </summary>
public sealed class RoundTripEstimator
{
    private static readonly TimeSpan ClockGranularity = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(1);

    private double _smoothedTicks = TimeSpan.FromMilliseconds(100).Ticks;
    private double _variationTicks;

    /// <summary>The current retransmission timeout.</summary>
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The smoothed round trip.</summary>
    public TimeSpan Smoothed => TimeSpan.FromTicks((long)_smoothedTicks);

    /// <summary>Takes one round-trip sample (now minus the acknowledged message's last send).</summary>
    public void Observe(TimeSpan roundTrip)
    {
        var sample = (double)Math.Max(0, roundTrip.Ticks);
        _variationTicks = (0.75 * _variationTicks) + (0.25 * Math.Abs(_smoothedTicks - sample));
        _smoothedTicks = (0.875 * _smoothedTicks) + (0.125 * sample);
        var timeout = TimeSpan.FromTicks((long)(_smoothedTicks + Math.Max(ClockGranularity.Ticks, 4 * _variationTicks)));
        Timeout = timeout > MaxTimeout ? MaxTimeout : timeout;
    }
}
