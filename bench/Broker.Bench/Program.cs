using BenchmarkDotNet.Running;

// Runs the BenchmarkDotNet suites: `dotnet run -c Release --project bench/Broker.Bench -- --filter '*'`.
// `masking-cpu` times the masking inputs in thread CPU time instead (see MaskingCpuTime), for a shared machine.
if (args is ["masking-cpu"])
{
    Broker.Bench.Masking.MaskingCpuTime.Run();
    return;
}

// `policy-cpu [commands|large]` times policy decisions and large inputs the same way (see PolicyCpuTime).
if (args is ["policy-cpu", ..] && args.Length <= 2)
{
    Broker.Bench.Policy.PolicyCpuTime.Run(args.Length == 2 ? args[1] : null);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Broker.Bench.Recorder.RecordingBenchmarks).Assembly).Run(args);
