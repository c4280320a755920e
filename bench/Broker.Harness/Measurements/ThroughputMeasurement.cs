using System.Diagnostics;
using System.Text;
using Broker.Harness.Systems;
using Broker.Harness.Terminals;

namespace Broker.Harness.Measurements;

/// <summary>
/// Output throughput: in an interactive shell, <c>cat</c> a file enough times to produce the
/// requested volume, then print an end marker; MB/s (10^6 bytes) received by the client.
/// </summary>
internal sealed class ThroughputMeasurement
{
    // The command line echoes this with quotes inside it, so only the output matches the marker.
    private const string Marker = "__BENCH_END__";
    private const string MarkerCommand = "echo __BENCH_END''__";
    private readonly IReadOnlyList<ISystemUnderTest> _systems;
    private readonly TextWriter _log;

    public ThroughputMeasurement(IReadOnlyList<ISystemUnderTest> systems, TextWriter log)
    {
        _systems = systems;
        _log = log;
    }

    /// <summary>Runs <paramref name="rounds"/> interleaved rounds of <c>cat</c> × <paramref name="repeat"/>; MB/s per system, NaN for a run that failed.</summary>
    public async Task<Dictionary<string, List<double>>> RunAsync(string file, int repeat, int rounds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var results = _systems.ToDictionary(s => s.Name, _ => new List<double>());
        var command = Encoding.ASCII.GetBytes(
            "cat" + string.Concat(Enumerable.Repeat(" " + file, repeat)) + "; " + MarkerCommand + "\r");
        for (var round = 0; round < rounds; round++)
        {
            foreach (var system in Interleaving.Round(_systems, round))
            {
                var rate = await OneRunAsync(system, command, timeout, cancellationToken).ConfigureAwait(false);
                _log.WriteLine($"  throughput {Path.GetFileName(file)} round {round + 1} {system.Name}: {rate:F1} MB/s");
                results[system.Name].Add(rate);
            }
        }

        return results;
    }

    private async Task<double> OneRunAsync(ISystemUnderTest system, byte[] command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ITerminal terminal;
        try
        {
            terminal = await system.OpenTerminalAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _log.WriteLine($"  {system.Name}: could not open a terminal: {ex.Message}");
            return double.NaN;
        }

        await using (terminal.ConfigureAwait(false))
        {
            var done = terminal.Output.Expect(Encoding.ASCII.GetBytes(Marker));
            var before = terminal.Output.Received;
            var started = Stopwatch.GetTimestamp();
            try
            {
                await terminal.SendAsync(command, cancellationToken).ConfigureAwait(false);
                await done.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException)
            {
                _log.WriteLine($"  {system.Name}: throughput run failed after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s with {terminal.Output.Received - before} bytes received: {ex.Message}");
                return double.NaN;
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return (terminal.Output.Received - before) / seconds / 1e6;
        }
    }
}
