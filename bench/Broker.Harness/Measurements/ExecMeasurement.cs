using System.Diagnostics;
using Broker.Harness.Systems;

namespace Broker.Harness.Measurements;

/// <summary>Round trip of running <c>true</c>: request sent until exit status received, in interleaved blocks.</summary>
internal sealed class ExecMeasurement
{
    private const int BlockSize = 50;
    private const int Warmup = 5;
    private readonly IReadOnlyList<IExecRunner> _runners;
    private readonly TextWriter _log;

    public ExecMeasurement(IReadOnlyList<IExecRunner> runners, TextWriter log)
    {
        _runners = runners;
        _log = log;
    }

    public async Task<Dictionary<string, EchoSamples>> RunAsync(int count, CancellationToken cancellationToken)
    {
        var results = _runners.ToDictionary(r => r.Name, _ => new EchoSamples([], 0));
        await Interleaving.InBlocksAsync(_runners, Warmup, count, BlockSize, async (runner, timed) =>
        {
            var started = Stopwatch.GetTimestamp();
            var ok = await OnceAsync(runner, cancellationToken).ConfigureAwait(false);
            if (!timed)
            {
                return;
            }

            if (ok)
            {
                results[runner.Name].Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            else
            {
                results[runner.Name] = results[runner.Name] with { Misses = results[runner.Name].Misses + 1 };
            }
        }).ConfigureAwait(false);

        return results;
    }

    private async Task<bool> OnceAsync(IExecRunner runner, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        string? error;
        try
        {
            error = await runner.RunTrueAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            error = ex.Message;
        }

        if (error is not null)
        {
            _log.WriteLine($"  {runner.Name}: {error}");
        }

        return error is null;
    }
}
