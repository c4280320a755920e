using System.Diagnostics;
using Broker.Harness.Machine;

namespace Broker.Harness.Measurements;

/// <summary>A client command line of the bulk measurement and the server's CPU seconds so far (counted with the client's).</summary>
internal sealed record BulkVariant(string Name, Func<ProcessStartInfo> Start, Func<double> ServerCpuSeconds);

/// <summary>
/// One run: MB/s from starting the client to its exit, and the CPU seconds the server (with the processes it reaped:
/// the connection's processes, <c>cat</c>) and the client used for it. All NaN for a run that failed or came up short.
/// </summary>
internal readonly record struct BulkRun(double MegabytesPerSecond, double ServerCpuSeconds, double ClientCpuSeconds)
{
    public static BulkRun Failed => new(double.NaN, double.NaN, double.NaN);

    /// <summary>Server and client CPU seconds per 10^9 bytes delivered.</summary>
    public double CpuSecondsPerGigabyte(long bytes) => (ServerCpuSeconds + ClientCpuSeconds) / (bytes / 1e9);
}

/// <summary>
/// One large file printed by <c>cat</c> through a one-shot command, each variant a process of its own started the
/// way an agent (or a person) runs it: <c>agent-client exec -- cat FILE</c> through the broker (recorded, masked) and
/// <c>ssh host cat FILE</c> (no recording). The harness reads the client's stdout to the end and checks that every byte
/// arrived. Each variant runs once untimed first (the broker's JIT compiles the path, as it has in a broker that has
/// served before; the file enters the page cache for both), then rounds interleave the variants, the order rotating.
/// Besides wall time it takes CPU time, which a loaded machine does not distort the way it distorts wall time: the
/// client's (getrusage of the waited-for child) and the server's: the broker with the processes it reaped
/// (<see cref="ProcessTreeCpu"/>), sshd with every process in its cgroup (<see cref="CgroupCpu"/>).
/// </summary>
internal sealed class BulkOutputMeasurement(IReadOnlyList<BulkVariant> variants, TextWriter log)
{
    private static readonly TimeSpan s_settleLimit = TimeSpan.FromSeconds(5);

    public async Task<Dictionary<string, List<BulkRun>>> RunAsync(long fileBytes, int rounds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var variant in variants)
        {
            var warm = await OnceAsync(variant, fileBytes, timeout, cancellationToken).ConfigureAwait(false);
            log.WriteLine($"   warm-up: {variant.Name}: {warm.MegabytesPerSecond:F0} MB/s (not counted)");
        }

        var results = variants.ToDictionary(v => v.Name, _ => new List<BulkRun>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var variant in Interleaving.Round(variants, round))
            {
                var run = await OnceAsync(variant, fileBytes, timeout, cancellationToken).ConfigureAwait(false);
                results[variant.Name].Add(run);
                log.WriteLine($"   round {round + 1}: {variant.Name}: {run.MegabytesPerSecond:F0} MB/s, server {run.ServerCpuSeconds:F2} s + client {run.ClientCpuSeconds:F2} s CPU");
            }
        }

        return results;
    }

    private async Task<BulkRun> OnceAsync(BulkVariant variant, long fileBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = variant.Start();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = false;
        start.UseShellExecute = false;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        // The server first settles from whatever ran before (the previous run's account cleaning, say).
        var serverBefore = await ProcessTreeCpu.SettledSecondsAsync(variant.ServerCpuSeconds, s_settleLimit, cancellationToken).ConfigureAwait(false);
        var clientBefore = ChildCpu.Total();
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new IOException($"{start.FileName} did not start");
        var stderr = process.StandardError.ReadToEndAsync(limit.Token);
        long received = 0;
        try
        {
            var buffer = new byte[256 * 1024];
            int read;
            while ((read = await process.StandardOutput.BaseStream.ReadAsync(buffer, limit.Token).ConfigureAwait(false)) > 0)
            {
                received += read;
            }

            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            log.WriteLine($"  {variant.Name}: no exit within {timeout.TotalSeconds:F0} s ({received} bytes received)");
            return BulkRun.Failed;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var client = (ChildCpu.Total() - clientBefore).TotalSeconds;
        var server = await ProcessTreeCpu.SettledSecondsAsync(variant.ServerCpuSeconds, s_settleLimit, cancellationToken).ConfigureAwait(false) - serverBefore;
        if (process.ExitCode != 0 || received != fileBytes)
        {
            log.WriteLine($"  {variant.Name}: exit {process.ExitCode}, {received} of {fileBytes} bytes: {(await stderr.ConfigureAwait(false)).Trim()}");
            return BulkRun.Failed;
        }

        return new BulkRun(fileBytes / seconds / 1e6, server, client);
    }
}
