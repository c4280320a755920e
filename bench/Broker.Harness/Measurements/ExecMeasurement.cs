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
        foreach (var runner in _runners)
        {
            for (var i = 0; i < Warmup; i++)
            {
                await OnceAsync(runner, cancellationToken).ConfigureAwait(false);
            }
        }

        var blocks = (count + BlockSize - 1) / BlockSize;
        for (var block = 0; block < blocks; block++)
        {
            var size = Math.Min(BlockSize, count - (block * BlockSize));
            foreach (var runner in Interleaving.Round(_runners, block))
            {
                for (var i = 0; i < size; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    if (await OnceAsync(runner, cancellationToken).ConfigureAwait(false))
                    {
                        results[runner.Name].Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                    else
                    {
                        results[runner.Name] = results[runner.Name] with { Misses = results[runner.Name].Misses + 1 };
                    }
                }
            }
        }

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
