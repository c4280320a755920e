using System.Collections.Concurrent;
using System.Diagnostics;
using Broker.Harness.Machine;
using Broker.Harness.Systems;
using Broker.Harness.Terminals;

namespace Broker.Harness.Measurements;

/// <summary>
/// Many interactive sessions at once, each typing one key per period and timing its echo; the
/// server's memory and CPU are read from /proc while they are all open.
/// </summary>
internal sealed class ConcurrencyMeasurement
{
    private static readonly TimeSpan s_echoTimeout = TimeSpan.FromSeconds(5);
    private readonly TextWriter _log;

    public ConcurrencyMeasurement(TextWriter log)
    {
        _log = log;
    }

    public async Task<ConcurrencyResult> RunAsync(ISystemUnderTest system, int count, TimeSpan window, TimeSpan period, CancellationToken cancellationToken)
    {
        var idle = system.Server?.Sample();
        var terminals = new ConcurrentBag<ITerminal>();
        var openFailures = 0;
        var opening = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    terminals.Add(await system.OpenTerminalAsync(cancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref openFailures) <= 3)
                    {
                        _log.WriteLine($"  {system.Name}: a session did not open: {ex.Message}");
                    }
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }

        var openSeconds = opening.Elapsed.TotalSeconds;
        var open = terminals.ToArray();
        try
        {
            var first = system.Server?.Sample();
            var harnessFirst = HarnessCpu();
            var latencies = new ConcurrentQueue<double>();
            var unresponsive = 0;
            await Task.WhenAll(open.Select((terminal, index) => Task.Run(async () =>
            {
                if (!await TypePeriodicallyAsync(terminal, index, open.Length, window, period, latencies, cancellationToken).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref unresponsive);
                }
            }, cancellationToken))).ConfigureAwait(false);
            var last = system.Server?.Sample();
            var harnessLast = HarnessCpu();
            return new ConcurrencyResult(
                system.Name,
                count,
                open.Length,
                openSeconds,
                Percentiles.Of(latencies),
                unresponsive + openFailures,
                idle,
                last,
                first is { } a && last is { } b ? (b.CpuSeconds - a.CpuSeconds) / (b.Taken - a.Taken).TotalSeconds * 100 : null)
            {
                HarnessCpuPercent = (harnessLast.Cpu - harnessFirst.Cpu).TotalSeconds / Stopwatch.GetElapsedTime(harnessFirst.Taken, harnessLast.Taken).TotalSeconds * 100,
            };
        }
        finally
        {
            using var gate = new SemaphoreSlim(32);
            await Task.WhenAll(open.Select(async terminal =>
            {
                await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await terminal.DisposeAsync().ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }
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

    /// <summary>Returns false if any echo did not come back in time.</summary>
    private static async Task<bool> TypePeriodicallyAsync(ITerminal terminal, int index, int count, TimeSpan window, TimeSpan period, ConcurrentQueue<double> latencies, CancellationToken cancellationToken)
    {
        // Spread the sessions over the period so the keys arrive as a steady stream, not a burst.
        await Task.Delay(period * index / Math.Max(1, count), cancellationToken).ConfigureAwait(false);
        var end = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var key = new byte[1];
        var i = 0;
        var responsive = true;
        while (Stopwatch.GetTimestamp() < end)
        {
            var due = Stopwatch.GetTimestamp() + (long)(period.TotalSeconds * Stopwatch.Frequency);
            key[0] = (byte)('a' + (i++ % 26));
            var echoed = terminal.Output.Expect(key);
            var sent = Stopwatch.GetTimestamp();
            try
            {
                await terminal.SendAsync(key, cancellationToken).ConfigureAwait(false);
                await echoed.WaitAsync(s_echoTimeout, cancellationToken).ConfigureAwait(false);
                latencies.Enqueue(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException)
            {
                responsive = false;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }

        return responsive;
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

    /// <summary>The harness process's own CPU during the typing window, % of one core (the sessions' client side).</summary>
    public double? HarnessCpuPercent { get; init; }

    /// <summary>Server memory added per open session, KiB, by RSS.</summary>
    public double? RssPerSessionKib => Idle is { } idle && Loaded is { } loaded && Opened > 0 ? (loaded.RssKib - idle.RssKib) / (double)Opened : null;

    /// <summary>Server memory added per open session, KiB, by PSS (shared pages divided among their users).</summary>
    public double? PssPerSessionKib => Idle is { } idle && Loaded is { } loaded && Opened > 0 ? (loaded.PssKib - idle.PssKib) / (double)Opened : null;
}
