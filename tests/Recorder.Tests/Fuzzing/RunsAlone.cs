namespace Recorder.Tests.Fuzzing;

/// <summary>
/// Tests that watch the whole process's peak memory: they run alone, after the parallel tests, so
/// another test's allocations are never taken for theirs.
/// </summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
