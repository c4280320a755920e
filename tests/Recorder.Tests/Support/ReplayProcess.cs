using System.Diagnostics;
using System.Globalization;

namespace Recorder.Tests.Support;

/// <summary>
/// Runs the built <c>replay</c> executable as a process under <c>/usr/bin/time</c>, which reports the
/// process's peak resident memory (getrusage's maximum RSS) once it has exited.
/// </summary>
internal static class ReplayProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>The replay apphost built with this test assembly's configuration.</summary>
    public static string Executable
    {
        get
        {
            var path = Path.Combine(Repository.Root, "recorder", "Replay", "bin", Repository.Configuration, "net10.0", "replay");
            return File.Exists(path) ? path : throw new FileNotFoundException($"replay is not built at {path}");
        }
    }

    /// <summary>
    /// Runs <c>replay ARGS</c> with standard output discarded (a command may write gigabytes) and
    /// returns its exit code, standard error and peak resident memory in bytes.
    /// </summary>
    public static async Task<(int ExitCode, string Error, long PeakResidentBytes)> RunAsync(string workDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var rss = Path.Combine(workDirectory, $"rss-{Guid.NewGuid():n}.txt");
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-c", "out=$1; shift; exec /usr/bin/time -f %M -o \"$out\" \"$@\" >/dev/null", "sh", rss, Executable, .. args])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("sh did not start");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"replay {string.Join(' ', args)} did not finish within {Timeout}");
        }

        // time writes "Command exited with non-zero status N" before the figure when the command fails.
        var figure = (await File.ReadAllLinesAsync(rss)).Last(l => l.Length > 0);
        File.Delete(rss);
        return (process.ExitCode, await error, long.Parse(figure, CultureInfo.InvariantCulture) * 1024);
    }
}
