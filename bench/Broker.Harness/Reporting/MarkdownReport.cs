using System.Globalization;
using System.Text;
using Broker.Harness.Measurements;

namespace Broker.Harness.Reporting;

/// <summary>Writes the measured tables and the goal verdicts as Markdown.</summary>
internal static class MarkdownReport
{
    public const string Broker = "broker";
    public const string Ssh = "OpenSSH";
    public const string Direct = "direct PTY";
    public const string SshExec = "ssh host true";
    public const string SshMuxExec = "ssh host true (ControlMaster)";
    public const string ClientAot = "agent-client exec (Native AOT)";

    public const string ClientAotBaseline = "agent-client exec (Native AOT, baseline)";
    public const string ClientAotBaselineMux = "agent-client exec (Native AOT, baseline, via multiplexer)";
    public const string ClientAotMux = "agent-client exec (Native AOT, via multiplexer)";
    public const string ClientJit = "agent-client exec (JIT build)";
    public const string TextData = "terminal text";
    public const string RandomData = "random printable";
    public const string ClientCat = "agent-client exec -- cat (recorded)";
    public const string SshCat = "ssh host cat (not recorded)";
    public const string Idle = "idle";
    public const string Loaded = "another session streaming";

    public static string Write(BenchResults results, HarnessOptions options)
    {
        var md = new StringBuilder();
        Throughput(md, results, options);
        Bulk(md, results, options);
        Echo(md, results, options);
        Exec(md, results, options);
        Startup(md, results, options);
        Concurrency(md, results, options);
        FloorReport.Write(md, results);
        ReplicasReport.Write(md, results, options);
        Goals(md, results, options);
        if (results.Notes.Count > 0 || results.Failures.Count > 0)
        {
            md.AppendLine("### Notes from the run").AppendLine();
            foreach (var line in results.Failures.Select(f => "- **failed:** " + f).Concat(results.Notes.Select(n => "- " + n)))
            {
                md.AppendLine(line);
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    private static string F(double? value, string format = "F2") =>
        value is { } v && !double.IsNaN(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y != 0 && !double.IsNaN(x) && !double.IsNaN(y) ? x / y : null;

    private static double? MedianOf(Dictionary<string, List<double>> runs, string system) =>
        runs.TryGetValue(system, out var list) ? Median(list) : null;

    private static void Throughput(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        var mib = options.ThroughputFileBytes * options.ThroughputRepeat / (1024.0 * 1024.0);
        md.AppendLine("## 1. Output throughput").AppendLine()
          .AppendLine(CultureInfo.InvariantCulture, $"`cat` of {mib:F0} MiB in an interactive shell, then an end marker; MB/s (10^6 bytes per second) received by the client, median of {options.ThroughputRounds} interleaved run(s) (each run listed).")
          .AppendLine()
          .AppendLine("| data | broker MB/s | OpenSSH MB/s | direct PTY MB/s | broker ÷ OpenSSH | broker ÷ direct PTY |")
          .AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (data, runs) in results.Throughput)
        {
            string Cell(string system) => $"{F(MedianOf(runs, system), "F0")} ({string.Join(", ", runs.GetValueOrDefault(system, []).Select(v => F(v, "F0")))})";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {data} | {Cell(Broker)} | {Cell(Ssh)} | {Cell(Direct)} | {F(Ratio(MedianOf(runs, Broker), MedianOf(runs, Ssh)))}× | {F(Ratio(MedianOf(runs, Broker), MedianOf(runs, Direct)))}× |");
        }

        md.AppendLine();
    }

    private static void Echo(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        var stream = options.StreamPace is { } pace
            ? string.Create(CultureInfo.InvariantCulture, $"a Python loop writing FILE at {pace:0.#} MB/s (`--stream-pace`: the same rate on every system; each block's rate is in the harness log)")
            : "`while :; do cat FILE; done`";
        md.AppendLine("## 2. Interactive keystroke echo").AppendLine()
          .AppendLine(CultureInfo.InvariantCulture, $"{options.Keystrokes} keystrokes per system and condition at a bash prompt, in {options.KeystrokeBlocks} interleaved blocks; a sample is the time from sending one letter to receiving its echo. \"Another session streaming\" runs {stream} in a second session on the same system during the block.")
          .AppendLine()
          .AppendLine("| condition | system | samples | p50 ms | p99 ms | max ms | no echo in 5 s |")
          .AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var (condition, bySystem) in results.Echo)
        {
            foreach (var (system, samples) in bySystem)
            {
                var p = Percentiles.Of(samples.Latencies);
                md.AppendLine(CultureInfo.InvariantCulture, $"| {condition} | {system} | {p?.Count ?? 0} | {F(p?.P50, "F3")} | {F(p?.P99, "F3")} | {F(p?.Max, "F3")} | {samples.Misses} |");
            }
        }

        md.AppendLine();
    }

    private static void Exec(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        md.AppendLine("## 3. Exec round trip").AppendLine()
          .AppendLine(CultureInfo.InvariantCulture, $"`true` run {options.ExecCount} times per variant, in interleaved blocks of 50: the broker's Exec call on one gRPC channel (argv `[\"true\"]`), `ssh host true` with a new connection each time, `ssh host true` over a ControlMaster socket, and the direct PTY layer spawning `true` on pipes.")
          .AppendLine()
          .AppendLine("| variant | runs | p50 ms | p99 ms | max ms | failed |")
          .AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (runner, samples) in results.Exec ?? [])
        {
            var p = Percentiles.Of(samples.Latencies);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {runner} | {p?.Count ?? 0} | {F(p?.P50, "F3")} | {F(p?.P99, "F3")} | {F(p?.Max, "F3")} | {samples.Misses} |");
        }

        md.AppendLine();
    }

    private static void Bulk(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        if (results.Bulk is not { } runs)
        {
            return;
        }

        var client = options.AgentClientAot is null ? "the JIT build" : "the Native AOT build agents run";
        md.AppendLine("## 1b. Bulk output of a one-shot command").AppendLine()
          .AppendLine(CultureInfo.InvariantCulture, $"`cat` of a {options.BulkFileBytes >> 20} MiB ordinary text file (the terminal-text lines above) as a process of its own, one untimed run of each variant, then {options.BulkRounds} interleaved rounds: `agent-client exec --target local -- cat FILE` ({client}; the broker records and masks the output) and `ssh host cat FILE` with a new connection (OpenSSH records nothing). The harness reads the client's stdout to the end and checks every byte arrived. MB/s = 10^6 bytes per second from starting the client to its exit. CPU = user + system seconds per 10^9 bytes of the server (the broker with the processes it reaped, `cat` among them; sshd with every process of its cgroup{(options.SshdCgroup is null ? " — no cgroup could be made here, so only what sshd reaped, which misses the connection's unprivileged process: the encryption and `cat`" : string.Empty)}) plus the client's; a loaded machine moves it much less than wall time (quick mode's small file is dominated by per-run costs: session set-up, the broker's JIT tiering). Medians (each run).")
          .AppendLine()
          .AppendLine("| variant | MB/s median (runs) | server CPU s/GB | client CPU s/GB | total CPU s/GB (runs) |")
          .AppendLine("|---|---|---:|---:|---|");
        foreach (var (variant, list) in runs)
        {
            var bytes = options.BulkFileBytes;
            var total = list.Select(r => r.CpuSecondsPerGigabyte(bytes)).ToList();
            md.AppendLine(CultureInfo.InvariantCulture, $"| {variant} | {F(Median(list.Select(r => r.MegabytesPerSecond)), "F0")} ({string.Join(", ", list.Select(r => F(r.MegabytesPerSecond, "F0")))}) | {F(Median(list.Select(r => r.ServerCpuSeconds / (bytes / 1e9))))} | {F(Median(list.Select(r => r.ClientCpuSeconds / (bytes / 1e9))))} | {F(Median(total))} ({string.Join(", ", total.Select(v => F(v)))}) |");
        }

        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Broker / OpenSSH: {BulkVerdict(runs, options)}.").AppendLine();
    }

    /// <summary>The wall-clock ratio of the medians and the CPU ratio (OpenSSH's CPU per byte over the broker's: above 1 when the broker uses less).</summary>
    private static string BulkVerdict(Dictionary<string, List<BulkRun>> runs, HarnessOptions options)
    {
        var (wall, cpu) = BulkRatios(runs, options);
        return $"{F(wall)}× in MB/s, {F(cpu)}× in CPU per byte (OpenSSH's CPU s/GB ÷ the broker's)";
    }

    private static (double? Wall, double? Cpu) BulkRatios(Dictionary<string, List<BulkRun>> runs, HarnessOptions options)
    {
        double? MedianRate(string variant) => Median(runs.GetValueOrDefault(variant, []).Select(r => r.MegabytesPerSecond));
        double? MedianCpu(string variant) => Median(runs.GetValueOrDefault(variant, []).Select(r => r.CpuSecondsPerGigabyte(options.BulkFileBytes)));
        return (Ratio(MedianRate(ClientCat), MedianRate(SshCat)), Ratio(MedianCpu(SshCat), MedianCpu(ClientCat)));
    }

    private static double? Median(IEnumerable<double> values)
    {
        var ok = values.Where(v => !double.IsNaN(v)).ToList();
        return ok.Count == 0 ? null : Percentiles.Median(ok);
    }

    private static void Startup(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        if (results.Startup is not { } startup)
        {
            return;
        }

        md.AppendLine("## 3b. Whole-process start-up").AppendLine()
          .AppendLine(CultureInfo.InvariantCulture, $"`true` run {options.StartupCount} times per variant as a process of its own, the way an agent runs one command (start the client, connect, authenticate, run, exit), in interleaved blocks of 20: `agent-client exec --target local -- true` (the Native AOT executable and the JIT build, and the Native AOT executable handing its command to an `agent-client mux start` master), `ssh host true` with a new connection, and `ssh host true` over a ControlMaster socket (with `--agent-client-aot-baseline`, a second Native AOT executable too, directly and handing its command to the same master, for a before/after in the same run). Wall time from starting the process to its exit; CPU is the client process's own (user + system, from getrusage of the waited-for child), not the server's.")
          .AppendLine()
          .AppendLine("| variant | runs | wall p50 ms | wall p99 ms | CPU p50 ms | failed |")
          .AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (variant, samples) in startup)
        {
            var wall = Percentiles.Of(samples.WallMilliseconds);
            var cpu = Percentiles.Of(samples.CpuMilliseconds);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {variant} | {wall?.Count ?? 0} | {F(wall?.P50, "F1")} | {F(wall?.P99, "F1")} | {F(cpu?.P50, "F1")} | {samples.Failures} |");
        }

        md.AppendLine();
    }

    private static void Concurrency(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        md.AppendLine("## 4. Concurrency and memory").AppendLine()
          .AppendLine(CultureInfo.InvariantCulture, $"N interactive sessions open at once (opened 8 at a time); each types one key every {options.EchoPeriod.TotalSeconds:F0} s for {options.ConcurrencyWindow.TotalSeconds:F0} s and times its echo. Server memory is read from /proc before the sessions open and while they are all open: the broker process alone, or the sshd listener and every sshd process under it; shells are never counted. RSS counts shared pages in every process (it overstates many sshd processes); PSS divides them among their users. CPU is the server's, in % of one core, during the typing window; harness CPU is the sessions' client side (the broker's gRPC connections, the ssh client processes' reading and writing, or the direct PTY layer itself): {(options.ClientWorkers > 0 ? $"every system's sessions are shared among {options.ClientWorkers} client worker processes (copies of the harness, which live through the whole run, so the warm-up rounds warm them too), so that no one client process's collections or thread pool sit in every session's echo; harness CPU is theirs and the harness's together" : "every system's sessions are driven from the harness's own process (--client-workers 0); harness CPU is that process's")}. With --rounds N the systems take turns N times (A B A B), each round a row. A session is unresponsive if it failed to open or any echo took over 5 s.")
          .AppendLine()
          .AppendLine("| sessions | round | system | opened | open time s | echo p50 ms | echo p99 ms | echo max ms | unresponsive | server RSS idle → loaded MiB | RSS per session KiB | PSS per session KiB | server CPU % | harness CPU % |")
          .AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results.Concurrency)
        {
            var memory = r.Idle is { } i && r.Loaded is { } l ? $"{i.RssKib / 1024.0:F0} → {l.RssKib / 1024.0:F0}" : "n/a";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Requested} | {r.Round} | {r.System} | {r.Opened} | {r.OpenSeconds:F1} | {F(r.Echo?.P50, "F3")} | {F(r.Echo?.P99, "F3")} | {F(r.Echo?.Max, "F3")} | {r.Unresponsive} | {memory} | {F(r.RssPerSessionKib, "F0")} | {F(r.PssPerSessionKib, "F0")} | {F(r.CpuPercent, "F1")} | {F(r.HarnessCpuPercent, "F1")} |");
        }

        md.AppendLine();
        TailAttributions(md, results);
    }

    private static void TailAttributions(StringBuilder md, BenchResults results)
    {
        var attributed = results.Concurrency.Where(r => r.Attribution is not null).ToArray();
        if (attributed.Length == 0)
        {
            return;
        }

        md.AppendLine("Whose pauses the slowest 1 % of echoes met (tail attribution): an echo met a pause when the pause overlapped the time from its key's send to its echo's read, on the wall clock the harness, its client workers and the broker share. Server pauses are the broker's own (its runtime's GC events, logged with BROKER_GC_PAUSE_LOG; none for the other systems), client pauses those of the client process that timed the echo. Counts, not times: the load can lengthen a pause but not invent one. \"All met\" is the share of every echo that met one, the rate by chance.")
          .AppendLine()
          .AppendLine("| sessions | round | system | tail echoes | server pause only | client pause only | both | neither | all met server / client % | p99 of echoes that met none ms | server pauses: n, total, longest ms | client pauses: n, total, longest ms |")
          .AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---|---|");
        foreach (var r in attributed)
        {
            var a = r.Attribution!;
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Requested} | {r.Round} | {r.System} | {a.Tail} | {a.ServerOnly} | {a.ClientOnly} | {a.Both} | {a.Neither} | {a.AllMetServer * 100:F1} / {a.AllMetClient * 100:F1} | {F(a.P99WithoutPauses, "F2")} | {a.Server.Count}, {a.Server.TotalMs:F0}, {a.Server.LongestMs:F0} | {a.Client.Count}, {a.Client.TotalMs:F0}, {a.Client.LongestMs:F0} |");
        }

        md.AppendLine();
    }

    private static void Goals(StringBuilder md, BenchResults results, HarnessOptions options)
    {
        md.AppendLine("## Goals").AppendLine()
          .AppendLine("| goal | measured | met |")
          .AppendLine("|---|---|---|");
        foreach (var (data, runs) in results.Throughput)
        {
            var vsSsh = Ratio(MedianOf(runs, Broker), MedianOf(runs, Ssh));
            var vsDirect = Ratio(MedianOf(runs, Broker), MedianOf(runs, Direct));
            Row(md, $"throughput ({data}) ≥ 1.0× OpenSSH", $"{F(vsSsh)}×", vsSsh >= 1.0);
            Row(md, $"throughput ({data}) ≥ 0.8× direct PTY", $"{F(vsDirect)}×", vsDirect >= 0.8);
        }

        if (results.Bulk is { } bulk)
        {
            var (wall, cpu) = BulkRatios(bulk, options);
            Row(md, "exec cat of a large text file, recorded, ≥ 1.0× ssh host cat", $"{F(wall)}× in MB/s, {F(cpu)}× in CPU per byte", wall >= 1.0);
        }

        foreach (var (condition, bySystem) in results.Echo)
        {
            var broker = Percentiles.Of(bySystem.GetValueOrDefault(Broker)?.Latencies ?? []);
            var ssh = Percentiles.Of(bySystem.GetValueOrDefault(Ssh)?.Latencies ?? []);
            var direct = Percentiles.Of(bySystem.GetValueOrDefault(Direct)?.Latencies ?? []);
            Row(md, $"echo p99 ({condition}) ≤ OpenSSH p99", $"{F(broker?.P99, "F3")} ms vs {F(ssh?.P99, "F3")} ms ({F(Ratio(broker?.P99, ssh?.P99))}×)", broker?.P99 <= ssh?.P99);
            var added = broker?.P99 - direct?.P99;
            Row(md, $"echo p99 ({condition}) ≤ direct PTY p99 + 1 ms", $"{F(added, "F3")} ms added ({F(broker?.P99, "F3")} vs {F(direct?.P99, "F3")})", added <= 1.0);
        }

        if (results.Exec is { } exec)
        {
            var broker = Percentiles.Of(exec.GetValueOrDefault(Broker)?.Latencies ?? []);
            var mux = Percentiles.Of(exec.GetValueOrDefault(SshMuxExec)?.Latencies ?? []);
            Row(md, "exec p50 ≤ 5 ms", $"{F(broker?.P50, "F3")} ms", broker?.P50 <= 5.0);
            Row(md, "exec p50 below multiplexed OpenSSH", $"{F(broker?.P50, "F3")} ms vs {F(mux?.P50, "F3")} ms ({F(Ratio(broker?.P50, mux?.P50))}×)", broker?.P50 < mux?.P50);
        }

        if (results.Startup is { } startup && startup.TryGetValue(ClientAot, out var aot))
        {
            var client = Percentiles.Of(aot.WallMilliseconds);
            var mux = Percentiles.Of(startup.GetValueOrDefault(SshMuxExec)?.WallMilliseconds ?? []);
            Row(md, "agent-client exec as a whole process (Native AOT), wall p50 < 50 ms", $"{F(client?.P50, "F1")} ms", client?.P50 < 50.0);
            Row(md, "agent-client exec as a whole process below ssh ControlMaster", $"{F(client?.P50, "F1")} ms vs {F(mux?.P50, "F1")} ms ({F(Ratio(client?.P50, mux?.P50))}×)", client?.P50 < mux?.P50);
            if (startup.TryGetValue(ClientAotMux, out var viaMaster))
            {
                var thin = Percentiles.Of(viaMaster.WallMilliseconds);
                var thinCpu = Percentiles.Of(viaMaster.CpuMilliseconds);
                var sshCpu = Percentiles.Of(startup.GetValueOrDefault(SshMuxExec)?.CpuMilliseconds ?? []);
                Row(md, "agent-client exec via its multiplexer below ssh ControlMaster (wall)", $"{F(thin?.P50, "F1")} ms vs {F(mux?.P50, "F1")} ms ({F(Ratio(thin?.P50, mux?.P50))}×)", thin?.P50 < mux?.P50);
                Row(md, "agent-client exec via its multiplexer below ssh ControlMaster (client CPU)", $"{F(thinCpu?.P50, "F1")} ms vs {F(sshCpu?.P50, "F1")} ms ({F(Ratio(thinCpu?.P50, sshCpu?.P50))}×)", thinCpu?.P50 < sshCpu?.P50);
            }
        }

        var largest = results.Concurrency.Where(r => r.System == Broker).MaxBy(r => r.Requested);
        if (largest is not null)
        {
            Row(md, $"{largest.Requested} concurrent sessions, every one responsive", $"{largest.Opened} opened, {largest.Unresponsive} unresponsive, echo p99 {F(largest.Echo?.P99, "F3")} ms", largest.Unresponsive == 0 && largest.Opened == largest.Requested);
            Row(md, "broker memory ≤ 1 MiB per session", $"{F(largest.RssPerSessionKib, "F0")} KiB RSS per session at {largest.Requested}", largest.RssPerSessionKib <= 1024);
        }

        md.AppendLine();
    }

    private static void Row(StringBuilder md, string goal, string measured, bool? met) =>
        md.AppendLine(CultureInfo.InvariantCulture, $"| {goal} | {measured} | {(met switch { true => "yes", false => "**no**", null => "not measured" })} |");
}
