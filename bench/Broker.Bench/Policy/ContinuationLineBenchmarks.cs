using BenchmarkDotNet.Attributes;

namespace Broker.Bench.Policy;

/// <summary>
/// Line mode's cost is linear in the lines typed: 1,000 to 120,000 continuation lines inside a quote and inside a loop
/// (each line used to re-parse all the text before it).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ContinuationLineBenchmarks
{
    private byte[] _quote = [];
    private byte[] _loop = [];

    [ParamsSource(nameof(Counts))]
    public int Lines { get; set; }

    /// <summary>The line counts (from <see cref="LargeInputBenchmarks.LineCounts"/>).</summary>
    public static IEnumerable<int> Counts => LargeInputBenchmarks.LineCounts;

    [GlobalSetup]
    public void Setup()
    {
        _quote = LargeInputBenchmarks.QuoteLines(Lines);
        _loop = LargeInputBenchmarks.LoopLines(Lines);
    }

    [Benchmark]
    public int AssembleContinuationLinesInAQuote() => LargeInputBenchmarks.Assemble(_quote);

    [Benchmark]
    public int AssembleContinuationLinesInALoop() => LargeInputBenchmarks.Assemble(_loop);
}
