using System.Diagnostics;
using System.Globalization;
using System.Text;
using Broker.Harness.Systems;
using Broker.Harness.Terminals;

namespace Broker.Harness.Measurements;

/// <summary>
/// Keystroke echo round trip at the shell prompt: a letter is sent, the time until the client
/// receives the letter's echo is one sample. The line is cleared (Ctrl-U) every few keys so
/// that it never wraps; the redraw is left to settle and is not measured. Optionally another
/// session on the same system streams output the whole time.
/// </summary>
internal sealed class EchoMeasurement
{
    private const int KeysPerLine = 40;
    private static readonly TimeSpan s_echoTimeout = TimeSpan.FromSeconds(5);
    private static readonly byte[] s_clearLine = [0x15];
    private static readonly byte[] s_interrupt = [0x03];
    // With BENCH_ECHO_SAMPLES set to a file, each sample's send and receipt (Stopwatch ticks, the system's monotonic
    // clock) are appended to it, to be matched with the broker's BROKER_ECHO_STAGES stamps (bench/echo-stages.py).
    private static readonly string? s_samplesPath = Environment.GetEnvironmentVariable("BENCH_ECHO_SAMPLES") is { Length: > 0 } path ? path : null;
    private readonly IReadOnlyList<ISystemUnderTest> _systems;
    private readonly TextWriter _log;

    public EchoMeasurement(IReadOnlyList<ISystemUnderTest> systems, TextWriter log)
    {
        _systems = systems;
        _log = log;
    }

    /// <summary>
    /// Latencies (ms) per system, and how many echoes never came within 5 s. <paramref name="pace"/> (MB/s): the other
    /// session streams <paramref name="streamFile"/> at that rate on every system instead of as fast as it goes.
    /// </summary>
    public async Task<Dictionary<string, EchoSamples>> RunAsync(int keystrokes, int blocks, string? streamFile, CancellationToken cancellationToken, double? pace = null)
    {
        var streamCommand = streamFile is null ? null : pace is { } rate ? PacedStream.Command(streamFile, rate) : $"while :; do cat {streamFile}; done";
        var results = _systems.ToDictionary(s => s.Name, _ => new EchoSamples([], 0));
        var typing = new Dictionary<string, ITerminal>();
        var streaming = new Dictionary<string, ITerminal>();
        try
        {
            foreach (var system in _systems)
            {
                typing[system.Name] = await system.OpenTerminalAsync(cancellationToken).ConfigureAwait(false);
                if (streamFile is not null)
                {
                    streaming[system.Name] = await system.OpenClientProcessTerminalAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            var perBlock = Math.Max(1, keystrokes / blocks);
            for (var block = 0; block < blocks; block++)
            {
                foreach (var system in Interleaving.Round(_systems, block))
                {
                    var stream = streamFile is null ? null : streaming[system.Name];
                    if (stream is not null)
                    {
                        await StartStreamingAsync(stream, streamCommand!, cancellationToken).ConfigureAwait(false);
                    }

                    var stamps = new List<(long Sent, long Received)>(perBlock);
                    var streamedBefore = stream?.Output.Received ?? 0;
                    var typingStarted = Stopwatch.GetTimestamp();
                    var misses = await TypeAsync(typing[system.Name], perBlock, results[system.Name].Latencies, stamps, cancellationToken).ConfigureAwait(false);
                    if (s_samplesPath is not null)
                    {
                        var condition = streamFile is null ? "idle" : "streaming";
                        await File.AppendAllLinesAsync(s_samplesPath, stamps.Select(s => $"{system.Name} {condition} {s.Sent} {s.Received}"), cancellationToken).ConfigureAwait(false);
                    }

                    if (stream is not null)
                    {
                        // The other session's rate while the keys were typed: a system that streams faster loads the machine more.
                        var streamed = stream.Output.Received - streamedBefore;
                        var seconds = Stopwatch.GetElapsedTime(typingStarted).TotalSeconds;
                        _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {system.Name}: the other session streamed {streamed / seconds / 1e6:F1} MB/s during block {block}"));
                    }

                    results[system.Name] = results[system.Name] with { Misses = results[system.Name].Misses + misses };
                    if (stream is not null)
                    {
                        await stream.SendAsync(s_interrupt, cancellationToken).ConfigureAwait(false);
                        await stream.Output.WaitForQuietAsync(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            foreach (var terminal in typing.Values.Concat(streaming.Values))
            {
                await terminal.DisposeAsync().ConfigureAwait(false);
            }
        }

        return results;
    }

    private static async Task StartStreamingAsync(ITerminal stream, string command, CancellationToken cancellationToken)
    {
        var before = stream.Output.Received;
        await stream.SendAsync(Encoding.ASCII.GetBytes(command + "\r"), cancellationToken).ConfigureAwait(false);
        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (stream.Output.Received - before < (1 << 20) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int> TypeAsync(ITerminal terminal, int count, List<double> latencies, List<(long Sent, long Received)> stamps, CancellationToken cancellationToken)
    {
        var misses = 0;
        var key = new byte[1];
        for (var i = 0; i < count; i++)
        {
            if (i % KeysPerLine == 0)
            {
                await terminal.SendAsync(s_clearLine, cancellationToken).ConfigureAwait(false);
                await terminal.Output.WaitForQuietAsync(TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }

            key[0] = (byte)('a' + (i % 26));
            var echoed = terminal.Output.Expect(key);
            var sent = Stopwatch.GetTimestamp();
            await terminal.SendAsync(key, cancellationToken).ConfigureAwait(false);
            try
            {
                await echoed.WaitAsync(s_echoTimeout, cancellationToken).ConfigureAwait(false);
                var received = Stopwatch.GetTimestamp();
                latencies.Add(Stopwatch.GetElapsedTime(sent, received).TotalMilliseconds);
                stamps.Add((sent, received));
            }
            catch (TimeoutException)
            {
                misses++;
                _log.WriteLine($"  echo of '{(char)key[0]}' did not arrive within {s_echoTimeout.TotalSeconds:F0} s");
                await terminal.SendAsync(s_clearLine, cancellationToken).ConfigureAwait(false);
            }
        }

        return misses;
    }
}

/// <summary>Echo latencies in milliseconds, and echoes that never came.</summary>
internal sealed record EchoSamples(List<double> Latencies, int Misses);
