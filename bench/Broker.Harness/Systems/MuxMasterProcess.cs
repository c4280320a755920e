using System.Diagnostics;

namespace Broker.Harness.Systems;

/// <summary>An <c>agent-client mux start</c> master for the start-up runs, killed when disposed (it holds nothing worth a clean stop: its socket is in the run's work directory).</summary>
internal sealed class MuxMasterProcess : IDisposable
{
    private readonly Process _process;

    private MuxMasterProcess(Process process) => _process = process;

    /// <summary>Starts the master and waits (bounded) for its "serving" line.</summary>
    public static async Task<MuxMasterProcess> StartAsync(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var process = Process.Start(start) ?? throw new InvalidOperationException("agent-client mux start did not start");
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await process.StandardError.ReadLineAsync(limit.Token).ConfigureAwait(false) is { } line)
        {
            if (line.Contains("serving", StringComparison.Ordinal))
            {
                // Keep its standard error drained (it writes only refusals) so it never blocks on a full pipe.
                _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return new MuxMasterProcess(process);
            }
        }

        throw new InvalidOperationException("agent-client mux start exited before serving");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }
}
