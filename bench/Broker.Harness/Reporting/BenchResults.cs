using Broker.Harness.Measurements;

namespace Broker.Harness.Reporting;

/// <summary>Everything one harness run measured; a measurement that failed outright leaves its entry null and says why in <see cref="Failures"/>.</summary>
internal sealed class BenchResults
{
    public Dictionary<string, Dictionary<string, List<double>>> Throughput { get; } = [];

    public Dictionary<string, Dictionary<string, EchoSamples>> Echo { get; } = [];

    /// <summary>Each bulk-output variant's runs (NaN for a failed run).</summary>
    public Dictionary<string, List<BulkRun>>? Bulk { get; set; }

    public Dictionary<string, EchoSamples>? Exec { get; set; }

    public Dictionary<string, StartupSamples>? Startup { get; set; }

    public List<ConcurrencyResult> Concurrency { get; } = [];

    /// <summary>The replicas measurement's runs (replicas, single broker and the others, round by round).</summary>
    public List<ReplicasRun> Replicas { get; } = [];

    /// <summary>Why the replicas measurement did not run, when it was selected and could not (said in the report).</summary>
    public string? ReplicasSkipped { get; set; }

    public List<string> Failures { get; } = [];

    public List<string> Notes { get; } = [];
}
