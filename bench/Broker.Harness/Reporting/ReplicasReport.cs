using System.Globalization;
using System.Text;
using Broker.Harness.Measurements;

namespace Broker.Harness.Reporting;

/// <summary>The replicas section of the report: each round's runs, then the medians over rounds and their ratios to the single broker.</summary>
internal static class ReplicasReport
{
    public static void Write(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        if (!options.Runs("replicas"))
        {
            return;
        }

        md.AppendLine("## 4b. Replicas: sessions spread over three brokers on PostgreSQL").AppendLine();
        if (results.ReplicasSkipped is { } why)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"**Not run: {why}.**").AppendLine();
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"{options.ReplicaSessions} interactive sessions open at once, spread round-robin over {options.ReplicaAddresses.Count} `broker serve --config` replicas (one PostgreSQL database for the registry, approvals and the recording index; recordings copied to an `s3rver` bucket; a cluster key), and in the same run the same {options.ReplicaSessions} sessions on the single-process broker, OpenSSH and the direct PTY. Each session types one key every {options.EchoPeriod.TotalSeconds:F0} s for {options.ConcurrencyWindow.TotalSeconds:F0} s and times its echo, as in section 4. The systems take turns, their order rotating each round ({options.ReplicaRounds} rounds); the .NET systems ran one unreported warm-up round first{(options.Quick ? " (not in quick mode)" : string.Empty)}. The replicas' memory is the sum of their three processes' RSS (PostgreSQL and `s3rver` are not counted: they are shared services a deployment runs anyway); memory per session is the growth from before the sessions opened to while they were all open, divided by the sessions open.")
          .AppendLine()
          .AppendLine("| round | system | opened | open time s | echo p50 ms | echo p99 ms | echo max ms | unresponsive | server RSS idle → loaded MiB | RSS per session KiB | PSS per session KiB | server CPU % |")
          .AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (round, r) in results.Replicas)
        {
            var memory = r.Idle is { } i && r.Loaded is { } l ? $"{i.RssKib / 1024.0:F0} → {l.RssKib / 1024.0:F0}" : "n/a";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {round} | {r.System} | {r.Opened} | {r.OpenSeconds:F1} | {F(r.Echo?.P50, "F3")} | {F(r.Echo?.P99, "F3")} | {F(r.Echo?.Max, "F3")} | {r.Unresponsive} | {memory} | {F(r.RssPerSessionKib, "F0")} | {F(r.PssPerSessionKib, "F0")} | {F(r.CpuPercent, "F1")} |");
        }

        md.AppendLine();
        var bySystem = results.Replicas.GroupBy(r => r.Result.System).ToList();
        var single = bySystem.FirstOrDefault(g => g.Key == MarkdownReport.Broker);
        if (bySystem.Count == 0)
        {
            return;
        }

        md.AppendLine("Medians over the rounds, and each system's ratio to the single broker measured in the same rounds:").AppendLine()
          .AppendLine("| system | echo p50 ms | echo p99 ms | p99 ÷ single broker's | RSS per session KiB | RSS per session ÷ single broker's |")
          .AppendLine("|---|---:|---:|---:|---:|---:|");
        var singleP99 = Median(single, r => r.Echo?.P99);
        var singleRss = Median(single, r => r.RssPerSessionKib);
        foreach (var group in bySystem)
        {
            var p99 = Median(group, r => r.Echo?.P99);
            var rss = Median(group, r => r.RssPerSessionKib);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {F(Median(group, r => r.Echo?.P50), "F3")} | {F(p99, "F3")} | {F(p99 / singleP99, "F2")} | {F(rss, "F0")} | {F(rss / singleRss, "F2")} |");
        }

        md.AppendLine();
    }

    private static double? Median(IEnumerable<ReplicasRun>? runs, Func<ConcurrencyResult, double?> value)
    {
        var values = runs?.Select(r => value(r.Result)).OfType<double>().ToArray() ?? [];
        return values.Length == 0 ? null : Percentiles.Median(values);
    }

    private static string F(double? value, string format) =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}
