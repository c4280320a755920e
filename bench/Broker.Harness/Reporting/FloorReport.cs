using System.Globalization;
using System.Text;
using Broker.Harness.Floor;
using Broker.Harness.Measurements;

namespace Broker.Harness.Reporting;

/// <summary>
/// Section 4c: the transport floor's rows beside the broker's and OpenSSH's (CPU and switches per key, echo), and the
/// broker's CPU per key split into what gRPC over Kestrel costs alone, what a PTY round trip adds and what the broker's
/// own pipeline adds (<see cref="FloorSplit"/>). Written only when the run had the floor's servers (--floor-systems).
/// </summary>
internal static class FloorReport
{
    /// <summary>Issue 22's goal: the broker's server CPU per typing session at most this many times OpenSSH's.</summary>
    private const double Goal = 1.5;

    private static readonly string[] s_systems = [MarkdownReport.Broker, MarkdownReport.Ssh, .. FloorServer.Modes];

    public static void Write(StringBuilder md, BenchResults results)
    {
        var rows = results.Concurrency.Where(r => s_systems.Contains(r.System)).ToList();
        if (!rows.Any(r => FloorServer.Modes.Contains(r.System)))
        {
            return;
        }

        md.AppendLine("## 4c. The transport's floor").AppendLine()
          .AppendLine("The same typing sessions as in 4, on servers of which three serve the broker's own Interact method on Kestrel with the broker's Kestrel and HTTP/2 settings (h2c, the broker's runtime settings), driven by the broker's client code: **grpc-echo** sends each key back as an output frame and does nothing else; **grpc-pty** relays each key to a bash on a PTY of the broker's PTY layer and its output back, with no policy, masking, recording or observers; **grpc-echo-inline** is grpc-echo with Kestrel's inline socket scheduling and the runtime's inline socket completions (`DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1`), the fewest thread hops Kestrel offers; **lean-pty** is no gRPC server: a framed protocol of its own over plain TCP (a kind byte, a length, the payload; **not encrypted**, where OpenSSH encrypts and authenticates every packet) whose socket and PTY master are both driven by the PTY layer's one epoll loop, a key read from the socket written to the PTY and the PTY's output framed and written to the socket on the loop thread, two wake-ups per key as sshd's. All ran the unreported warm-up round before the measured ones, as the broker did. CPU per key is the server's CPU over the typing window (from the scheduler, `/proc/PID/task/*/schedstat`) divided by the keys echoed in it; switches per key count its threads' switches onto a core (schedstat's third field) the same way: a count, which the load does not stretch as it stretches times (a busy machine does merge or split some wake-ups).")
          .AppendLine()
          .AppendLine("| sessions | round | system | keys | echo p50 ms | echo p99 ms | server CPU % | CPU per key ms | switches per key | CPU per key ÷ OpenSSH |")
          .AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows.OrderBy(r => r.Requested).ThenBy(r => r.Round).ThenBy(r => Array.IndexOf(s_systems, r.System)))
        {
            var ssh = rows.FirstOrDefault(s => s.System == MarkdownReport.Ssh && s.Requested == r.Requested && s.Round == r.Round)?.CpuPerKeyMs;
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Requested} | {r.Round} | {r.System} | {r.Keys} | {F(r.Echo?.P50, "F3")} | {F(r.Echo?.P99, "F3")} | {F(r.CpuPercent, "F1")} | {F(r.CpuPerKeyMs, "F3")} | {F(r.SwitchesPerKey, "F1")} | {F(Ratio(r.CpuPerKeyMs, ssh))}× |");
        }

        md.AppendLine()
          .AppendLine("The broker's CPU per key split (medians over the rounds): **(a)** gRPC over Kestrel's HTTP/2 alone = grpc-echo; **(b)** a PTY round trip = grpc-pty − grpc-echo; **(c)** the broker's own pipeline (session, policy, masking, recording, observers) = broker − grpc-pty. Switches per key in brackets, split the same way. A part below 0 means the runs' noise is larger than it.")
          .AppendLine()
          .AppendLine("| sessions | rounds | OpenSSH ms | (a) transport ms | (b) PTY ms | (c) pipeline ms | broker ms | (a) share of the broker | (a) ÷ OpenSSH | (a) + (b) ÷ OpenSSH |")
          .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var verdicts = new List<string>();
        foreach (var group in rows.GroupBy(r => r.Requested).OrderBy(g => g.Key))
        {
            double? Median(string system, Func<ConcurrencyResult, double?> value)
            {
                var values = group.Where(r => r.System == system).Select(value).OfType<double>().Where(v => !double.IsNaN(v)).ToList();
                return values.Count == 0 ? null : Percentiles.Median(values);
            }

            var ssh = Median(MarkdownReport.Ssh, r => r.CpuPerKeyMs);
            var cpu = FloorSplit.Of(Median(FloorServer.EchoMode, r => r.CpuPerKeyMs), Median(FloorServer.PtyMode, r => r.CpuPerKeyMs), Median(MarkdownReport.Broker, r => r.CpuPerKeyMs));
            var switches = FloorSplit.Of(Median(FloorServer.EchoMode, r => r.SwitchesPerKey), Median(FloorServer.PtyMode, r => r.SwitchesPerKey), Median(MarkdownReport.Broker, r => r.SwitchesPerKey));
            var rounds = group.Select(r => r.Round).Distinct().Count();
            string Part(Func<FloorSplit, double> part) => $"{F(cpu is { } c ? part(c) : null, "F3")} ({F(switches is { } s ? part(s) : null, "F1")})";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {rounds} | {F(ssh, "F3")} ({F(Median(MarkdownReport.Ssh, r => r.SwitchesPerKey), "F1")}) | {Part(s => s.Transport)} | {Part(s => s.Pty)} | {Part(s => s.Pipeline)} | {Part(s => s.Broker)} | {F(cpu?.TransportShare * 100, "F0")} % | {F(Ratio(cpu?.Transport, ssh))}× | {F(Ratio(cpu?.Transport + cpu?.Pty, ssh))}× |");
            if (cpu is { } split && Ratio(split.Transport, ssh) is { } floor)
            {
                verdicts.Add(floor > Goal
                    ? string.Create(CultureInfo.InvariantCulture, $"At {group.Key} sessions the transport alone costs {floor:F2}× OpenSSH's whole server per key: the goal (≤ {Goal}×) cannot be met while keys cross gRPC over Kestrel's HTTP/2, whatever the broker's pipeline costs.")
                    : string.Create(CultureInfo.InvariantCulture, $"At {group.Key} sessions the transport alone costs {floor:F2}× OpenSSH per key, within the goal (≤ {Goal}×); the PTY round trip takes it to {Ratio(split.Transport + split.Pty, ssh):F2}×, and the broker's pipeline adds {split.Pipeline:F3} ms per key."));
            }
        }

        WriteLean(md, rows);
        md.AppendLine();
        foreach (var verdict in verdicts)
        {
            md.AppendLine(verdict).AppendLine();
        }
    }

    /// <summary>lean-pty beside OpenSSH and grpc-pty (medians over the rounds): what a transport of the broker's own would cost per key.</summary>
    private static void WriteLean(StringBuilder md, List<ConcurrencyResult> rows)
    {
        if (!rows.Any(r => r.System == FloorServer.LeanMode))
        {
            return;
        }

        md.AppendLine()
          .AppendLine("A transport of the broker's own (medians over the rounds; switches per key in brackets): lean-pty carries each key to a PTY of the broker's PTY layer and its echo back, as grpc-pty does, without gRPC. Its ratio is what the broker's pipeline would have to fit under beside it for issue 22's goal (≤ 1.5× OpenSSH).")
          .AppendLine()
          .AppendLine("| sessions | rounds | OpenSSH ms | lean-pty ms | grpc-pty ms | lean-pty ÷ OpenSSH | grpc-pty ÷ OpenSSH | room left for the pipeline at 1.5× ms |")
          .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in rows.GroupBy(r => r.Requested).OrderBy(g => g.Key))
        {
            double? Median(string system, Func<ConcurrencyResult, double?> value)
            {
                var values = group.Where(r => r.System == system).Select(value).OfType<double>().Where(v => !double.IsNaN(v)).ToList();
                return values.Count == 0 ? null : Percentiles.Median(values);
            }

            string Cell(string system) => $"{F(Median(system, r => r.CpuPerKeyMs), "F3")} ({F(Median(system, r => r.SwitchesPerKey), "F1")})";
            var ssh = Median(MarkdownReport.Ssh, r => r.CpuPerKeyMs);
            var lean = Median(FloorServer.LeanMode, r => r.CpuPerKeyMs);
            var rounds = group.Where(r => r.System == FloorServer.LeanMode).Select(r => r.Round).Distinct().Count();
            md.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {rounds} | {Cell(MarkdownReport.Ssh)} | {Cell(FloorServer.LeanMode)} | {Cell(FloorServer.PtyMode)} | {F(Ratio(lean, ssh))}× | {F(Ratio(Median(FloorServer.PtyMode, r => r.CpuPerKeyMs), ssh))}× | {F((Goal * ssh) - lean, "F3")} |");
        }
    }

    private static string F(double? value, string format = "F2") =>
        value is { } v && !double.IsNaN(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y != 0 ? x / y : null;
}
