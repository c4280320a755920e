namespace Broker.Harness.Measurements;

/// <summary>Order statistics over a set of latencies (milliseconds), nearest-rank.</summary>
internal sealed record Percentiles(int Count, double P50, double P99, double Max)
{
    public static Percentiles? Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        var sorted = samples.Order().ToArray();
        return new Percentiles(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.99), sorted[^1]);
    }

    public static double Median(IReadOnlyCollection<double> values) => Rank([.. values.Order()], 0.5);

    private static double Rank(double[] sorted, double quantile)
    {
        var index = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
