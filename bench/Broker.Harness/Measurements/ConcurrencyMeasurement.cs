using System.Diagnostics;
using Broker.Harness.Machine;
using Broker.Harness.Systems;
using Broker.Harness.Workers;

namespace Broker.Harness.Measurements;

/// <summary>
/// Many interactive sessions at once, each typing one key per period and timing its echo; the
/// server's memory and CPU are read from /proc while they are all open.
/// </summary>
internal sealed class ConcurrencyMeasurement
{
    /// <summary>Sessions opened at once, over all the client processes together.</summary>
    private const int OpenParallel = 8;
    private readonly TextWriter _log;
    private readonly ClientWorkerPool? _workers;
    private readonly string? _brokerGcLog;

    /// <param name="workers">
    /// The client worker processes that drive the sessions, or null to drive them from this process. With workers no
    /// single client process's collections or thread pool sit in every session's echo.
    /// </param>
    /// <param name="brokerGcLog">The broker's pause log (BROKER_GC_PAUSE_LOG), or null.</param>
    public ConcurrencyMeasurement(TextWriter log, ClientWorkerPool? workers, string? brokerGcLog = null)
    {
        _log = log;
        _workers = workers;
        _brokerGcLog = brokerGcLog;
    }

    public async Task<ConcurrencyResult> RunAsync(ISystemUnderTest system, int count, TimeSpan window, TimeSpan period, CancellationToken cancellationToken)
    {
        var idle = system.Server?.Sample();
        var opening = Stopwatch.StartNew();
        ISessionGroup sessions = _workers is { } pool
            ? await pool.OpenAsync(system.Name, count, OpenParallel, cancellationToken).ConfigureAwait(false)
            : await InProcessSessions.OpenAsync(system, count, OpenParallel, _log, cancellationToken).ConfigureAwait(false);
        var openSeconds = opening.Elapsed.TotalSeconds;
        await using (sessions.ConfigureAwait(false))
        {
            var first = system.Server?.Sample();
            var harnessFirst = HarnessCpu();
            var (serverThreads, workerThreads) = (system.Server?.Threads(), _workers is { } w1 ? ThreadWaits.Read(w1.ProcessIds) : null);
            var typed = await sessions.TypeAsync(window, period, cancellationToken).ConfigureAwait(false);
            var last = system.Server?.Sample();
            var harnessLast = HarnessCpu();
            LogThreadWaits(system.Name, "server", serverThreads, system.Server?.Threads(), typed.Latencies.Count);
            LogThreadWaits(system.Name, "client workers", workerThreads, _workers is { } w2 ? ThreadWaits.Read(w2.ProcessIds) : null, typed.Latencies.Count);
            var harnessCpu = (harnessLast.Cpu - harnessFirst.Cpu).TotalSeconds + typed.WorkerCpuSeconds;
            var used = first is { } before && last is { } after ? after.Since(before) : ((double CpuSeconds, long Switches)?)null;
            return new ConcurrencyResult(
                system.Name,
                count,
                sessions.Opened,
                openSeconds,
                Percentiles.Of(typed.Latencies),
                typed.Unresponsive + sessions.OpenFailures,
                idle,
                last,
                used is { } u && first is { } a && last is { } b ? u.CpuSeconds / (b.Taken - a.Taken).TotalSeconds * 100 : null)
            {
                HarnessCpuPercent = harnessCpu / Stopwatch.GetElapsedTime(harnessFirst.Taken, harnessLast.Taken).TotalSeconds * 100,
                Keys = typed.Samples.Count,
                ServerCpuSeconds = used?.CpuSeconds,
                ServerSwitches = used?.Switches,
                ClientWorkers = _workers?.Count ?? 0,
                Attribution = TailAttribution.Of(typed.Samples, typed.ClientPauses, ServerPauses(system, typed.Samples)),
            };
        }
    }

    /// <summary>Logs how long <paramref name="whose"/> threads ran and waited for a core over the typing window, by thread name.</summary>
    private void LogThreadWaits(string system, string whose, ThreadWaits? before, ThreadWaits? after, int keys)
    {
        if (before is null || after is null)
        {
            return;
        }

        _log.WriteLine($"   {system}: {whose}' threads over the typing window (/proc/PID/task/*/schedstat):");
        foreach (var line in after.Since(before, keys))
        {
            _log.WriteLine(line);
        }
    }

    /// <summary>The broker's pauses while these samples were in flight, from its log; null for another system or without the log.</summary>
    private IReadOnlyList<GcPause>? ServerPauses(ISystemUnderTest system, IReadOnlyList<EchoSample> samples)
    {
        if (_brokerGcLog is not { } path || system is not BrokerSystem || samples.Count == 0)
        {
            return null;
        }

        if (!File.Exists(path))
        {
            // The broker has not paused since it started, or it was started without the log: the latter is the one to say.
            _log.WriteLine($"   no broker pause log at {path}: the broker's pauses are counted as none");
            return [];
        }

        return GcPause.ReadLog(path, samples.Min(s => s.SentUs), samples.Max(s => s.EchoedUs));
    }

    /// <summary>
    /// The harness's own CPU so far. Its sessions' client side (1,000 gRPC connections, or the direct PTY layer read in
    /// process) shares the machine's cores with the server, so its share says how much of an echo's delay may be the client's.
    /// </summary>
    private static (TimeSpan Cpu, long Taken) HarnessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return (self.TotalProcessorTime, Stopwatch.GetTimestamp());
    }
}

/// <summary>What one concurrency run measured. Memory in KiB; CPU in percent of one core.</summary>
internal sealed record ConcurrencyResult(
    string System,
    int Requested,
    int Opened,
    double OpenSeconds,
    Percentiles? Echo,
    int Unresponsive,
    ServerSample? Idle,
    ServerSample? Loaded,
    double? CpuPercent)
{
    /// <summary>Which of the interleaved rounds (--rounds) this was, from 1.</summary>
    public int Round { get; init; } = 1;

    /// <summary>
    /// The harness's CPU during the typing window, % of one core (the sessions' client side): its own process's and,
    /// with client workers, theirs added.
    /// </summary>
    public double? HarnessCpuPercent { get; init; }

    /// <summary>Keys typed in the window whose echo came back (each session's keys until the window ended).</summary>
    public int Keys { get; init; }

    /// <summary>The server's CPU over the typing window, seconds (the same window as <see cref="CpuPercent"/>), or null.</summary>
    public double? ServerCpuSeconds { get; init; }

    /// <summary>The server's threads' switches onto a core over the typing window, or null.</summary>
    public long? ServerSwitches { get; init; }

    /// <summary>The server's CPU per echoed key, ms: its CPU in the window divided by the keys echoed in it.</summary>
    public double? CpuPerKeyMs => ServerCpuSeconds is { } cpu && Keys > 0 ? cpu * 1000 / Keys : null;

    /// <summary>The server's switches onto a core per echoed key.</summary>
    public double? SwitchesPerKey => ServerSwitches is { } switches && Keys > 0 ? switches / (double)Keys : null;

    /// <summary>The client worker processes that drove the sessions (0: the harness's own process).</summary>
    public int ClientWorkers { get; init; }

    /// <summary>Which of the slowest echoes met a runtime pause of the server or of their client process; null without samples.</summary>
    public TailAttribution? Attribution { get; init; }

    /// <summary>Server memory added per open session, KiB, by RSS.</summary>
    public double? RssPerSessionKib => Idle is { } idle && Loaded is { } loaded && Opened > 0 ? (loaded.RssKib - idle.RssKib) / (double)Opened : null;

    /// <summary>Server memory added per open session, KiB, by PSS (shared pages divided among their users).</summary>
    public double? PssPerSessionKib => Idle is { } idle && Loaded is { } loaded && Opened > 0 ? (loaded.PssKib - idle.PssKib) / (double)Opened : null;
}
