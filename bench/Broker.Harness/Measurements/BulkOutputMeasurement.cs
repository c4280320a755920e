using System.Diagnostics;

namespace Broker.Harness.Measurements;

/// <summary>
/// One large file printed by <c>cat</c> through a one-shot command, each variant a process of its own started the
/// way an agent (or a person) runs it: <c>agent-client exec -- cat FILE</c> through the broker (recorded, masked) and
/// <c>ssh host cat FILE</c> (no recording). The harness reads the client's stdout to the end and checks that every byte
/// arrived; a run that fails or comes up short counts as NaN. Rounds interleave the variants, the order rotating.
/// </summary>
internal sealed class BulkOutputMeasurement(IReadOnlyList<ProcessVariant> variants, TextWriter log)
{
    public async Task<Dictionary<string, List<double>>> RunAsync(long fileBytes, int rounds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var results = variants.ToDictionary(v => v.Name, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var variant in Interleaving.Round(variants, round))
            {
                var rate = await OnceAsync(variant, fileBytes, timeout, cancellationToken).ConfigureAwait(false);
                results[variant.Name].Add(rate);
                log.WriteLine($"   round {round + 1}: {variant.Name}: {rate:F0} MB/s");
            }
        }

        return results;
    }

    /// <summary>MB/s (10^6 bytes per second) from starting the process to its exit, or NaN.</summary>
    private async Task<double> OnceAsync(ProcessVariant variant, long fileBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = variant.Start();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = false;
        start.UseShellExecute = false;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
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
            return double.NaN;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (process.ExitCode != 0 || received != fileBytes)
        {
            log.WriteLine($"  {variant.Name}: exit {process.ExitCode}, {received} of {fileBytes} bytes: {(await stderr.ConfigureAwait(false)).Trim()}");
            return double.NaN;
        }

        return fileBytes / seconds / 1e6;
    }
}
