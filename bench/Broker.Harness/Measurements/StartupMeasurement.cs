using System.Diagnostics;
using Broker.Harness.Machine;

namespace Broker.Harness.Measurements;

/// <summary>A command line that runs <c>true</c> on a system as a process of its own, the way an agent calls it once per command.</summary>
internal sealed record ProcessVariant(string Name, Func<ProcessStartInfo> Start);

/// <summary>Wall and CPU time of one variant's runs; CPU is the client process's own (user + system).</summary>
internal sealed record StartupSamples(List<double> WallMilliseconds, List<double> CpuMilliseconds, int Failures);

/// <summary>
/// Whole-process cost of running <c>true</c>: each run starts the client program (agent-client,
/// ssh), waits for it to exit, and notes the wall time and the client's CPU time. Variants run
/// in interleaved blocks, one process at a time.
/// </summary>
internal sealed class StartupMeasurement(IReadOnlyList<ProcessVariant> variants, TextWriter log)
{
    private const int BlockSize = 20;
    private const int Warmup = 3;

    public async Task<Dictionary<string, StartupSamples>> RunAsync(int count, CancellationToken cancellationToken)
    {
        var results = variants.ToDictionary(v => v.Name, _ => new StartupSamples([], [], 0));
        await Interleaving.InBlocksAsync(variants, Warmup, count, BlockSize, async (variant, timed) =>
        {
            var run = await OnceAsync(variant, cancellationToken).ConfigureAwait(false);
            if (!timed)
            {
                return;
            }

            var samples = results[variant.Name];
            if (run is { } measured)
            {
                samples.WallMilliseconds.Add(measured.Wall);
                samples.CpuMilliseconds.Add(measured.Cpu);
            }
            else
            {
                results[variant.Name] = samples with { Failures = samples.Failures + 1 };
            }
        }).ConfigureAwait(false);

        return results;
    }

    private async Task<(double Wall, double Cpu)?> OnceAsync(ProcessVariant variant, CancellationToken cancellationToken)
    {
        var start = variant.Start();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = false;
        start.UseShellExecute = false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var cpuBefore = ChildCpu.Total();
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new IOException($"{start.FileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            log.WriteLine($"  {variant.Name}: no exit within 30 s");
            return null;
        }

        var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var cpu = (ChildCpu.Total() - cpuBefore).TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            log.WriteLine($"  {variant.Name}: exited with {process.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()}");
            return null;
        }

        return (wall, cpu);
    }
}
