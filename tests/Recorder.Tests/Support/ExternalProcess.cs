using System.Diagnostics;

namespace Recorder.Tests.Support;

/// <summary>Runs a real program (asciinema, node) and captures what it prints.</summary>
internal static class ExternalProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestRecordings.Timeout);
        return (process.ExitCode, await output.WaitAsync(TestRecordings.Timeout), await error.WaitAsync(TestRecordings.Timeout));
    }

    public static string FixturesDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "tests", "fixtures", "asciicast")))
            {
                directory = directory.Parent;
            }

            return directory is null
                ? throw new DirectoryNotFoundException("tests/fixtures/asciicast not found above the test binaries")
                : Path.Combine(directory.FullName, "tests", "fixtures");
        }
    }
}
