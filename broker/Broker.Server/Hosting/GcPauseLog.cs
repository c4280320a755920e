using System.Globalization;
using System.Text;
using Broker.Core.Diagnostics;

namespace Broker.Server.Hosting;

/// <summary>
/// A diagnostic, off unless <see cref="Variable"/> names a file: every time the runtime stops the broker's threads (a
/// collection, or another suspension such as the JIT's call-counting clean-up) one line is appended to that file,
/// <c>START_UNIX_US DURATION_US GENERATION</c> (generation -1 for a suspension that was not a collection). The start is
/// the wall clock in microseconds since the Unix epoch, a clock every process on the machine shares, so a benchmark can
/// tell which of its slowest echoes met one of the broker's pauses (bench/Broker.Harness, tail attribution). The
/// runtime's own GC events are read in process (<see cref="RuntimePauseListener"/>), so when the variable is unset no
/// listener exists and nothing is traced.
/// </summary>
internal sealed class GcPauseLog : IHostedService, IDisposable
{
    /// <summary>The environment variable naming the file; unset or empty leaves the log off.</summary>
    public const string Variable = "BROKER_GC_PAUSE_LOG";

    private readonly Lock _gate = new();
    private readonly StreamWriter _file;
    private readonly RuntimePauseListener _listener;
    private bool _stopped;

    public GcPauseLog(string path)
    {
        // Appended, not replaced: a broker restarted into the same file adds to it rather than losing what came first.
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        _listener = new RuntimePauseListener(Write);
    }

    /// <summary>The log for this process's environment, or null when it is off.</summary>
    public static GcPauseLog? FromEnvironment() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? new GcPauseLog(path) : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Close();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _listener.Dispose();
        Close();
    }

    /// <summary>One pause's line: its start (µs since the Unix epoch), its length (µs) and the generation collected.</summary>
    internal static string Line(DateTime start, DateTime end, int generation) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{(start.ToUniversalTime() - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond} {(end - start).Ticks / TimeSpan.TicksPerMicrosecond} {generation}");

    private void Write(RuntimePause pause)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _file.WriteLine(Line(pause.Start, pause.End, pause.Generation));
            // Pauses come a few a second at most; each line is on disk before the next pause.
            _file.Flush();
        }
    }

    private void Close()
    {
        lock (_gate)
        {
            _stopped = true;
            _file.Dispose();
        }
    }
}
