using Broker.Ssm.DataChannel;

namespace Broker.Ssm.Tests.DataChannel;

public sealed class RoundTripEstimatorTests
{
    [Fact]
    public void The_timeout_starts_at_200_ms()
    {
        new RoundTripEstimator().Timeout.Should().Be(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_sample_equal_to_the_smoothed_round_trip_leaves_only_the_clock_granularity_above_it()
    {
        var estimator = new RoundTripEstimator();

        estimator.Observe(TimeSpan.FromMilliseconds(100));

        estimator.Timeout.Should().Be(TimeSpan.FromMilliseconds(110));
    }

    [Fact]
    public void A_slow_sample_raises_the_timeout_by_four_variations()
    {
        var estimator = new RoundTripEstimator();

        estimator.Observe(TimeSpan.FromMilliseconds(500));

        // variation = ¼·|100 − 500| = 100; smoothed = ⅞·100 + ⅛·500 = 150; timeout = 150 + 4·100.
        estimator.Smoothed.Should().Be(TimeSpan.FromMilliseconds(150));
        estimator.Timeout.Should().Be(TimeSpan.FromMilliseconds(550));
    }

    [Fact]
    public void The_timeout_never_exceeds_one_second()
    {
        var estimator = new RoundTripEstimator();

        estimator.Observe(TimeSpan.FromMilliseconds(500));
        estimator.Observe(TimeSpan.FromSeconds(2));

        estimator.Timeout.Should().Be(TimeSpan.FromSeconds(1));
    }
}
