using System.Diagnostics;

namespace Broker.Harness.Workers;

/// <summary>
/// The parent's end of one client worker: commands go to its stdin a line each, replies come from its stdout a line
/// each, and its stderr is copied into the harness's log. The worker exits when its stdin closes, so it does not outlive
/// the harness however the harness ends (a kill closes the pipe as surely as a dispose).
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StreamWriter _commands;
    private readonly StreamReader _replies;
    private readonly Task _errors;

    private WorkerProcess(int index, Process process, TextWriter log)
    {
        Index = index;
        _process = process;
        _commands = process.StandardInput;
        _commands.AutoFlush = false;
        _replies = process.StandardOutput;
        _errors = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                log.WriteLine($"   [client worker {index}] {line}");
            }
        });
    }

    public int Index { get; }

    /// <summary>The worker's process id (its threads' scheduler counters are read from /proc).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts <c>HARNESS ARGUMENTS --client-worker INDEX</c>.</summary>
    public static WorkerProcess Start(int index, string executable, IEnumerable<string> arguments, TextWriter log)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--client-worker");
        start.ArgumentList.Add(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new WorkerProcess(index, Process.Start(start) ?? throw new IOException($"client worker {index} did not start"), log);
    }

    public async Task SendAsync(string command, CancellationToken cancellationToken)
    {
        try
        {
            await _commands.WriteLineAsync(command.AsMemory(), cancellationToken).ConfigureAwait(false);
            await _commands.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new IOException($"client worker {Index} no longer reads its commands ({Status()}): {ex.Message}", ex);
        }
    }

    /// <summary>Waits for the reply <paramref name="expected"/> and returns its fields after the first.</summary>
    public async Task<string[]> ReceiveAsync(string expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string? line;
        try
        {
            line = await _replies.ReadLineAsync(cancellationToken).AsTask().WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"client worker {Index} did not reply '{expected}' within {timeout.TotalSeconds:F0} s");
        }

        if (line is null)
        {
            // Let its last words reach the log before saying it is gone.
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            throw new IOException($"client worker {Index} ended ({Status()}) while the harness waited for '{expected}'");
        }

        var fields = line.Split(' ');
        if (fields[0] == WorkerProtocol.Error)
        {
            throw new IOException($"client worker {Index} failed: {line[(WorkerProtocol.Error.Length + 1)..]}");
        }

        return fields[0] == expected
            ? fields[1..]
            : throw new IOException($"client worker {Index} replied '{Truncate(line)}' where the harness expected '{expected}'");
    }

    /// <summary>Kills the worker and everything it started (its ssh clients; its PTYs' shells hang up when it dies).</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
    }

    /// <summary>Closes its stdin (it closes its sessions and exits) and returns why it did not exit cleanly, or null.</summary>
    public async Task<string?> StopAsync()
    {
        try
        {
            _commands.Close();
        }
        catch (IOException)
        {
            // Its end of the pipe is already gone: it has exited.
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(s_exitTimeout).ConfigureAwait(false);
            await _errors.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill();
            return $"client worker {Index} did not exit within {s_exitTimeout.TotalSeconds:F0} s of its stdin closing and was killed";
        }

        return _process.ExitCode == 0 ? null : $"client worker {Index} exited with status {_process.ExitCode}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private string Status() => _process.HasExited ? $"exit status {_process.ExitCode}" : "still running";

    private static string Truncate(string line) => line.Length <= 80 ? line : line[..80] + "…";
}
