using BenchmarkDotNet.Running;

// Runs the BenchmarkDotNet suites: `dotnet run -c Release --project bench/Broker.Bench -- --filter '*'`.
// `masking-cpu` times the masking inputs in thread CPU time instead (see MaskingCpuTime), for a shared machine.
// `masking-screen` times a terminal's bulk `cat` with and without the screen model (see MaskingScreenCost).
if (args is ["masking-screen"])
{
    Broker.Bench.Masking.MaskingScreenCost.Run();
    return;
}

// `masking-cpu ordinary|secret-dense 1024|65536 [runs]` times one case only (for profiling).
if (args is ["masking-cpu"])
{
    Broker.Bench.Masking.MaskingCpuTime.Run();
    return;
}

if (args is ["masking-cpu", var corpus, var chunkText, ..] && args.Length <= 4
    && int.TryParse(chunkText, System.Globalization.CultureInfo.InvariantCulture, out var chunk)
    && (args.Length == 3 || int.TryParse(args[3], System.Globalization.CultureInfo.InvariantCulture, out _)))
{
    var runs = args.Length == 4 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 40;
    Broker.Bench.Masking.MaskingCpuTime.Run(corpus, chunk, runs);
    return;
}

// `audit-cpu` times posting an audit event and storing it (see AuditCpuTime).
if (args is ["audit-cpu"])
{
    Broker.Bench.Audit.AuditCpuTime.Run();
    return;
}

// `policy-cpu [commands|large]` times policy decisions and large inputs the same way (see PolicyCpuTime).
if (args is ["policy-cpu", ..] && args.Length <= 2)
{
    Broker.Bench.Policy.PolicyCpuTime.Run(args.Length == 2 ? args[1] : null);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Broker.Bench.Recorder.RecordingBenchmarks).Assembly).Run(args);
