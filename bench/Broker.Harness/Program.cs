using Broker.Harness;
using Broker.Harness.Floor;
using Broker.Harness.Machine;
using Broker.Harness.Measurements;
using Broker.Harness.Reporting;
using Broker.Harness.Systems;
using Broker.Harness.Workers;

// Runs every side-by-side measurement and writes the Markdown tables; bench/run starts the
// broker and sshd, passes their addresses here and assembles docs/BENCHMARKS.md.
if (args.Length > 0 && args[0] == FloorServer.Flag)
{
    return await FloorServer.RunAsync(args).ConfigureAwait(false);
}

var (options, error) = HarnessOptions.Parse(args);
if (options is null)
{
    await Console.Error.WriteLineAsync($"Broker.Harness: {error}").ConfigureAwait(false);
    return 2;
}

if (options.ClientWorkerIndex is { } workerIndex)
{
    return await ClientWorker.RunAsync(options, workerIndex).ConfigureAwait(false);
}

var log = Console.Error;
log.WriteLine($"== the broker's terminals are {options.TerminalMode} (tokens with groups: {string.Join(',', options.TokenGroups)})");
using var brokerSystem = new BrokerSystem(options.BrokerAddress, options.BrokerData, options.Target, options.TokenGroups, options.BrokerProcessId, options.AgentClient);
var ssh = new SshSystem(options.SshConfig, options.SshHost, options.SshdProcessId);
var direct = new DirectPtySystem();
ISystemUnderTest[] systems = [brokerSystem, ssh, direct];
// The transport floor's servers (--floor-systems) take part in the concurrency measurement only.
ISystemUnderTest[] concurrencySystems = [.. systems, .. options.FloorServers.Select(s => s.System())];
var results = new BenchResults();
using var cancel = new CancellationTokenSource(options.Quick ? TimeSpan.FromMinutes(5) : TimeSpan.FromHours(2));
var token = cancel.Token;

async Task Step(string name, Func<Task> step)
{
    log.WriteLine($"== {name}");
    try
    {
        await step().ConfigureAwait(false);
    }
    catch (Exception ex) when (ex is IOException or TimeoutException or OperationCanceledException or InvalidOperationException or Grpc.Core.RpcException)
    {
        results.Failures.Add($"{name}: {ex.GetType().Name}: {ex.Message}");
        log.WriteLine($"   failed: {ex}");
    }
}

var textFile = Path.Combine(options.WorkDirectory, "terminal-text.txt");
var muxDirectory = Path.Combine(options.WorkDirectory, "mux");
var randomFile = Path.Combine(options.WorkDirectory, "random-printable.txt");
TerminalText.WriteText(textFile, options.ThroughputFileBytes);
TerminalText.WriteRandomPrintable(randomFile, options.ThroughputFileBytes);

if (options.Runs("throughput"))
{
    var throughput = new ThroughputMeasurement(systems, log);
    await Step("throughput: terminal text", async () =>
        results.Throughput[MarkdownReport.TextData] = await throughput.RunAsync(textFile, options.ThroughputRepeat, options.ThroughputRounds, options.ThroughputTimeout, token).ConfigureAwait(false)).ConfigureAwait(false);
    await Step("throughput: random printable", async () =>
        results.Throughput[MarkdownReport.RandomData] = await throughput.RunAsync(randomFile, options.ThroughputRepeat, options.ThroughputRounds, options.ThroughputTimeout, token).ConfigureAwait(false)).ConfigureAwait(false);
}

if (options.Runs("bulk"))
{
    var bulkFile = Path.Combine(options.WorkDirectory, "bulk-text.txt");
    TerminalText.WriteText(bulkFile, options.BulkFileBytes);
    // Agents run the Native AOT client (README); the JIT build only when bench/run did not publish it.
    var bulkClient = options.AgentClientAot ?? options.AgentClient;
    BulkVariant[] variants =
    [
        new(MarkdownReport.ClientCat, () => brokerSystem.ClientCat(bulkClient, bulkFile), () => ProcessTreeCpu.Seconds(options.BrokerProcessId)),
        new(MarkdownReport.SshCat, () => ssh.Cat(bulkFile), options.SshdCgroup is { } cgroup ? () => CgroupCpu.Seconds(cgroup) : () => ProcessTreeCpu.Seconds(options.SshdProcessId)),
    ];
    await Step("bulk output: exec cat", async () =>
        results.Bulk = await new BulkOutputMeasurement(variants, log).RunAsync(options.BulkFileBytes, options.BulkRounds, options.BulkTimeout, token).ConfigureAwait(false)).ConfigureAwait(false);
    File.Delete(bulkFile);
}

if (options.Runs("echo"))
{
    var echo = new EchoMeasurement(systems, log);
    await Step("echo: idle", async () =>
        results.Echo[MarkdownReport.Idle] = await echo.RunAsync(options.Keystrokes, options.KeystrokeBlocks, null, token).ConfigureAwait(false)).ConfigureAwait(false);
    await Step("echo: another session streaming", async () =>
        results.Echo[MarkdownReport.Loaded] = await echo.RunAsync(options.Keystrokes, options.KeystrokeBlocks, textFile, token, options.StreamPace).ConfigureAwait(false)).ConfigureAwait(false);
}

if (options.Runs("exec"))
{
    IExecRunner[] runners = options.ExecWithSsh ? [brokerSystem, ssh.Exec(null), ssh.Exec(options.SshControlPath), direct] : [brokerSystem, direct];
    await Step("exec round trip", async () =>
        results.Exec = await new ExecMeasurement(runners, log).RunAsync(options.ExecCount, token).ConfigureAwait(false)).ConfigureAwait(false);
}

if (options.Runs("startup"))
{
    var variants = new List<ProcessVariant>();
    using var muxMaster = options.AgentClientAot is { } master ? await MuxMasterProcess.StartAsync(brokerSystem.MuxMaster(master, muxDirectory)).ConfigureAwait(false) : null;
    if (options.AgentClientAot is { } aot)
    {
        variants.Add(new ProcessVariant(MarkdownReport.ClientAot, () => brokerSystem.ClientExecTrue(aot)));
        variants.Add(new ProcessVariant(MarkdownReport.ClientAotMux, () => brokerSystem.ClientExecTrue(aot, muxDirectory)));
    }

    if (options.AgentClientAotBaseline is { } baseline)
    {
        variants.Add(new ProcessVariant(MarkdownReport.ClientAotBaseline, () => brokerSystem.ClientExecTrue(baseline)));
        if (options.AgentClientAot is not null)
        {
            // The baseline's thin client hands its command to the same master as the new one's: a before/after of the thin client alone.
            variants.Add(new ProcessVariant(MarkdownReport.ClientAotBaselineMux, () => brokerSystem.ClientExecTrue(baseline, muxDirectory)));
        }
    }

    variants.Add(new ProcessVariant(MarkdownReport.ClientJit, () => brokerSystem.ClientExecTrue(options.AgentClient)));
    variants.Add(new ProcessVariant(MarkdownReport.SshExec, () => ssh.ExecTrue(null)));
    variants.Add(new ProcessVariant(MarkdownReport.SshMuxExec, () => ssh.ExecTrue(options.SshControlPath)));
    await Step("whole-process start-up", async () =>
        results.Startup = await new StartupMeasurement(variants, log).RunAsync(options.StartupCount, token).ConfigureAwait(false)).ConfigureAwait(false);
}

await using var workers = options.ClientWorkers > 0 && (options.Runs("concurrency") || options.Runs("replicas")) ? new ClientWorkerPool(options.ClientWorkers, args, log) : null;
var concurrency = new ConcurrencyMeasurement(log, workers, options.BrokerGcLog);
if (options.Runs("concurrency") && !options.Quick)
{
    // A broker just started spends much of its first minute compiling its hot paths (tier-1 JIT), which a broker
    // that has run for an hour no longer does: one unreported round first, so steady state is what gets measured.
    var warmCount = Math.Min(100, options.SessionCounts.Max());
    foreach (var system in concurrencySystems.Where(s => s != ssh))
    {
        await Step($"concurrency warm-up: {warmCount} sessions on {system.Name} (not reported)", async () =>
        {
            await concurrency.RunAsync(system, warmCount, options.ConcurrencyWindow, options.EchoPeriod, token).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(5), token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    results.Notes.Add($"Before the concurrency runs, the broker and the direct PTY layer (both .NET) ran one unreported round of {warmCount} typing sessions, so that they are measured after tier-1 JIT compilation has settled, as a long-running server is; OpenSSH needs no warm-up.");
}

foreach (var count in options.Runs("concurrency") ? options.SessionCounts : [])
{
    for (var round = 1; round <= options.ConcurrencyRounds; round++)
    {
        foreach (var system in concurrencySystems)
        {
            if (system == ssh && count > options.SshMaxSessions)
            {
                if (round == 1)
                {
                    results.Notes.Add($"OpenSSH was not driven at {count} sessions (limit --ssh-max-sessions {options.SshMaxSessions}).");
                }

                continue;
            }

            var label = options.ConcurrencyRounds > 1 ? $", round {round}" : string.Empty;
            var thisRound = round;
            await Step($"concurrency: {count} sessions on {system.Name}{label}", async () =>
            {
                var result = await concurrency.RunAsync(system, count, options.ConcurrencyWindow, options.EchoPeriod, token).ConfigureAwait(false) with { Round = thisRound };
                results.Concurrency.Add(result);
                if (result.Opened == 0)
                {
                    // Every figure of such a round is empty: a run that measured nothing must not pass as a run.
                    throw new InvalidOperationException($"none of the {count} sessions opened on {system.Name} (see the log above)");
                }

                log.WriteLine($"   opened {result.Opened}/{count}, unresponsive {result.Unresponsive}, p99 {result.Echo?.P99:F2} ms, RSS/session {result.RssPerSessionKib:F0} KiB, server CPU {result.CpuPercent:F1} %, harness CPU {result.HarnessCpuPercent:F1} %");
                if (result.Attribution is { } tail)
                {
                    log.WriteLine($"   slowest {tail.Tail} echoes: met a server pause only {tail.ServerOnly}, a client pause only {tail.ClientOnly}, both {tail.Both}, neither {tail.Neither}; p99 of echoes that met no pause {tail.P99WithoutPauses:F2} ms; server pauses {tail.Server.Count} ({tail.Server.TotalMs:F0} ms, longest {tail.Server.LongestMs:F0} ms), client pauses {tail.Client.Count} ({tail.Client.TotalMs:F0} ms, longest {tail.Client.LongestMs:F0} ms)");
                }

                // Let the server reap the ended sessions before the next system is measured.
                await Task.Delay(TimeSpan.FromSeconds(options.Quick ? 1 : 5), token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
    }
}

if (options.Runs("replicas"))
{
    if (options.ReplicaAddresses.Count == 0)
    {
        results.ReplicasSkipped = options.ReplicasSkipped ?? "bench/run started no replicas";
        log.WriteLine($"== replicas: not run ({results.ReplicasSkipped})");
    }
    else
    {
        using var replicaSet = new ReplicaSetSystem(options.ReplicaAddresses, options.ReplicaProcessIds, options.ReplicaData!, options.Target, options.TokenGroups, options.AgentClient);
        ISystemUnderTest[] compared = [replicaSet, .. systems.Where(s => s != ssh || options.ReplicaSessions <= options.SshMaxSessions)];
        await Step($"replicas: {options.ReplicaSessions} sessions over {options.ReplicaAddresses.Count} replicas beside one broker", async () =>
            results.Replicas.AddRange(await new ReplicasMeasurement(concurrency, log).RunAsync(
                compared,
                options.Quick ? [] : [replicaSet, brokerSystem, direct],
                options.ReplicaSessions,
                options.ReplicaRounds,
                options.ConcurrencyWindow,
                options.EchoPeriod,
                TimeSpan.FromSeconds(options.Quick ? 1 : 5),
                token).ConfigureAwait(false))).ConfigureAwait(false);
    }
}

if (workers is not null)
{
    foreach (var problem in await workers.StopAsync().ConfigureAwait(false))
    {
        results.Failures.Add(problem);
        log.WriteLine($"   {problem}");
    }
}

await File.WriteAllTextAsync(options.OutputPath, MarkdownReport.Write(results, options), CancellationToken.None).ConfigureAwait(false);
File.Delete(textFile);
File.Delete(randomFile);
log.WriteLine($"== wrote {options.OutputPath}");
return results.Failures.Count == 0 ? 0 : 1;
