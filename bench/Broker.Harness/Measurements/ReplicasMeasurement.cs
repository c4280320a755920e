using Broker.Harness.Systems;

namespace Broker.Harness.Measurements;

/// <summary>
/// Issue 21's scale-out measurement: N interactive sessions spread round-robin over broker replicas on PostgreSQL, each
/// typing and timing its echo exactly as the concurrency measurement's sessions do, and in the same run the same N on
/// the single-process broker and on what the concurrency measurement compares it with (OpenSSH, a direct PTY). The
/// systems take turns, their order rotating each round; the .NET systems (replicas, broker, direct PTY) first run one
/// unreported warm-up round each, so that tier-1 JIT compilation is not what gets measured.
/// </summary>
internal sealed class ReplicasMeasurement
{
    private readonly ConcurrencyMeasurement _concurrency;
    private readonly TextWriter _log;

    public ReplicasMeasurement(ConcurrencyMeasurement concurrency, TextWriter log)
    {
        _concurrency = concurrency;
        _log = log;
    }

    /// <summary>Runs <paramref name="rounds"/> rounds of <paramref name="count"/> sessions on each system; the pause lets servers reap the ended sessions.</summary>
    public async Task<List<ReplicasRun>> RunAsync(
        IReadOnlyList<ISystemUnderTest> systems, IReadOnlyList<ISystemUnderTest> warmUp, int count, int rounds, TimeSpan window, TimeSpan period, TimeSpan pause, CancellationToken cancellationToken)
    {
        foreach (var system in warmUp)
        {
            var warmCount = Math.Min(count, 100);
            _log.WriteLine($"   warm-up: {warmCount} sessions on {system.Name} (not reported)");
            await _concurrency.RunAsync(system, warmCount, window, period, cancellationToken).ConfigureAwait(false);
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }

        var runs = new List<ReplicasRun>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var system in Interleaving.Round(systems, round))
            {
                var result = await _concurrency.RunAsync(system, count, window, period, cancellationToken).ConfigureAwait(false);
                runs.Add(new ReplicasRun(round + 1, result));
                _log.WriteLine($"   round {round + 1}, {system.Name}: opened {result.Opened}/{count}, unresponsive {result.Unresponsive}, p50 {result.Echo?.P50:F2} ms, p99 {result.Echo?.P99:F2} ms, RSS/session {result.RssPerSessionKib:F0} KiB");
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            }
        }

        return runs;
    }
}

/// <summary>One system's run in one round.</summary>
internal sealed record ReplicasRun(int Round, ConcurrencyResult Result);
