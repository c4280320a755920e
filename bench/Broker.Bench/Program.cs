using BenchmarkDotNet.Running;

// Runs the BenchmarkDotNet suites: `dotnet run -c Release --project bench/Broker.Bench -- --filter '*'`.
BenchmarkSwitcher.FromAssembly(typeof(Broker.Bench.Recorder.RecordingBenchmarks).Assembly).Run(args);
