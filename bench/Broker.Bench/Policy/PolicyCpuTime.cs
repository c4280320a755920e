using Broker.Policy;

namespace Broker.Bench.Policy;

/// <summary>
/// The policy suites' inputs timed in CPU time of the measuring thread rather than wall time (on a shared machine the
/// wall clock counts the time other processes hold the core), with the bytes each run allocates. Ordinary commands:
/// median over batches of decisions; large inputs: median of repeated runs at three sizes each, so that the cost per
/// input byte (or line) shows whether it is linear. Run with
/// <c>dotnet run -c Release --project bench/Broker.Bench -- policy-cpu</c> (add <c>commands</c> or <c>large</c> for one part).
/// </summary>
internal static class PolicyCpuTime
{
    private const int Batch = 200;

    public static void Run(string? part)
    {
        if (part is not (null or "commands" or "large"))
        {
            Console.Error.WriteLine("usage: policy-cpu [commands|large]");
            Environment.Exit(2);
        }

        var document = PolicyLoader.LoadFile(PolicyDecisionBenchmarks.FindPolicy()).Document ?? throw new InvalidOperationException("dev policy does not load");
        var engine = new PolicyEngine(document, PolicyDecisionBenchmarks.AlwaysProtected);
        var roles = document.ResolveRoles(PolicyDecisionBenchmarks.Caller);
        if (part != "large")
        {
            Commands(engine, roles);
        }

        if (part != "commands")
        {
            Console.WriteLine();
            LargeInputs(engine, roles);
        }
    }

    private static void Commands(PolicyEngine engine, IReadOnlyList<RoleDefinition> roles)
    {
        Console.WriteLine("| command | median CPU time per decision | allocated per decision |");
        Console.WriteLine("|---|---:|---:|");
        // Every command's code paths warm up before the first is measured (tiered JIT recompiles what the others use).
        for (var round = 0; round < 3; round++)
        {
            foreach (var command in PolicyDecisionBenchmarks.Commands)
            {
                var input = PolicyDecisionBenchmarks.Input(command);
                for (var i = 0; i < 2000; i++)
                {
                    engine.Decide(roles, input);
                }
            }
        }

        foreach (var command in PolicyDecisionBenchmarks.Commands)
        {
            var input = PolicyDecisionBenchmarks.Input(command);
            var (median, allocated) = Measure(() => engine.Decide(roles, input), Batch, 60);
            Console.WriteLine($"| `{command.Replace("|", "\\|", StringComparison.Ordinal)}` | {median * 1e6:F1} µs | {allocated / 1024.0:F1} KB |");
        }
    }

    private static void LargeInputs(PolicyEngine engine, IReadOnlyList<RoleDefinition> roles)
    {
        Console.WriteLine("| large input | size | median CPU time | per unit | allocated | per unit |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var size in LargeInputBenchmarks.ScriptSizes)
        {
            var input = LargeInputBenchmarks.Script(size);
            var (median, allocated) = Measure(() => engine.Decide(roles, input), 1, size >= 1_000_000 ? 7 : 15);
            Console.WriteLine($"| script decided whole | {size / 1000} KB | {median * 1e3:F2} ms | {median * 1e9 / size:F0} ns/byte | {allocated / 1e6:F2} MB | {allocated / size:F0} B/byte |");
        }

        foreach (var (name, build) in new (string, Func<int, byte[]>)[] { ("continuation lines in a quote", LargeInputBenchmarks.QuoteLines), ("continuation lines in a loop", LargeInputBenchmarks.LoopLines) })
        {
            foreach (var lines in LargeInputBenchmarks.LineCounts)
            {
                var keys = build(lines);
                var (median, allocated) = Measure(() => LargeInputBenchmarks.Assemble(keys), 1, lines >= 100_000 ? 5 : 11);
                Console.WriteLine($"| {name} | {lines:N0} lines | {median * 1e3:F2} ms | {median * 1e9 / lines:F0} ns/line | {allocated / 1e6:F2} MB | {allocated / lines:F0} B/line |");
            }
        }
    }

    /// <summary>Median CPU seconds per call over <paramref name="runs"/> batches, and bytes allocated per call.</summary>
    private static (double Median, double Allocated) Measure(Action action, int batch, int runs)
    {
        // Warm-up: tiered JIT settles over a few thousand decisions; a large input's first two runs are not counted.
        var warmUps = batch == 1 ? 2 : 5000 / batch;
        for (var i = 0; i < warmUps; i++)
        {
            for (var j = 0; j < batch; j++)
            {
                action();
            }
        }

        var samples = new double[runs];
        long allocated = 0;
        for (var run = 0; run < runs; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var start = ThreadCpuClock.Nanoseconds();
            for (var j = 0; j < batch; j++)
            {
                action();
            }

            samples[run] = (ThreadCpuClock.Nanoseconds() - start) / 1e9 / batch;
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Array.Sort(samples);
        return (samples[runs / 2], allocated / (double)runs / batch);
    }
}
