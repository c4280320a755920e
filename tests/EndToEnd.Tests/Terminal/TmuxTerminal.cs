using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EndToEnd.Tests.Terminal;

/// <summary>
/// A real terminal for a test: a tmux server of its own (a private socket in a fresh directory)
/// whose one pane runs <c>bash --norc --noprofile</c>. Keys are typed with send-keys, one call per
/// key where it matters, and the screen is read with capture-pane. Every wait polls the screen for
/// what it expects, with a timeout; none sleeps for a guessed time.
/// </summary>
public sealed class TmuxTerminal : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly string _socket;

    private TmuxTerminal(string directory)
    {
        Directory = directory;
        _socket = Path.Combine(directory, "tmux.sock");
    }

    /// <summary>A fresh directory of this terminal's own (removed on disposal), writable by every account.</summary>
    public string Directory { get; }

    /// <summary>
    /// Starts tmux with a <paramref name="columns"/>×<paramref name="rows"/> window whose shell has
    /// <paramref name="environment"/>, runs in <paramref name="workingDirectory"/> (else this
    /// terminal's directory) and shows <paramref name="prompt"/> (a PS1 value ending in "$ ").
    /// </summary>
    public static async Task<TmuxTerminal> StartAsync(IReadOnlyDictionary<string, string> environment, int columns = 100, int rows = 30, string? workingDirectory = null, string prompt = "$ ")
    {
        var directory = Path.Combine(Path.GetTempPath(), "e2e-tmux-" + Guid.NewGuid().ToString("n"));
        System.IO.Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            // Sessions may run as an account of their own: they must be able to write here.
            File.SetUnixFileMode(directory, (UnixFileMode)0x1FF);
        }

        var terminal = new TmuxTerminal(directory);
        var args = new List<string>
        {
            "-f", "/dev/null", "start-server", ";", "set-option", "-g", "history-limit", "100000", ";",
            "new-session", "-d", "-s", "main", "-x", Text(columns), "-y", Text(rows), "-c", workingDirectory ?? directory,
        };

        // The shell's variables come from an rc file of its own (bash ignores a PS1 from the
        // environment, and tmux's own environment handling differs between versions).
        var rc = new StringBuilder($"PS1='{prompt}'\nunset HISTFILE\n");
        foreach (var (key, value) in environment)
        {
            rc.Append(CultureInfo.InvariantCulture, $"export {key}='{value.Replace("'", "'\\''", StringComparison.Ordinal)}'\n");
        }

        var rcFile = Path.Combine(directory, "bashrc");
        await File.WriteAllTextAsync(rcFile, rc.ToString());
        args.Add($"exec bash --noprofile --rcfile {rcFile}");
        try
        {
            await terminal.TmuxAsync(args);
            await terminal.WaitForAsync(screen => screen.TrimEnd().EndsWith('$'), "the shell's first prompt");
            return terminal;
        }
        catch
        {
            await terminal.DisposeAsync();
            throw;
        }
    }

    /// <summary>Types <paramref name="text"/> as it is (one write to the terminal) without Enter.</summary>
    public Task TypeAsync(string text) => TmuxAsync(["send-keys", "-t", "main", "-l", text]);

    /// <summary>Types <paramref name="line"/> and Enter.</summary>
    public async Task EnterAsync(string line)
    {
        await TypeAsync(line);
        await PressAsync("Enter");
    }

    /// <summary>Presses keys by tmux name, one send-keys call each: "Enter", "Escape", "C-c", "C-z", "C-\\", "C-d".</summary>
    public async Task PressAsync(params string[] keys)
    {
        foreach (var key in keys)
        {
            await TmuxAsync(["send-keys", "-t", "main", key]);
        }
    }

    /// <summary>The whole pane: the scroll-back and the screen, wrapped lines joined.</summary>
    public Task<string> HistoryAsync() => TmuxAsync(["capture-pane", "-p", "-J", "-S", "-", "-t", "main"]);

    /// <summary>Resizes the window; the pane's program gets SIGWINCH.</summary>
    public Task ResizeAsync(int columns, int rows) => TmuxAsync(["resize-window", "-t", "main", "-x", Text(columns), "-y", Text(rows)]);

    /// <summary>The process id of the pane's shell.</summary>
    public async Task<int> ShellProcessIdAsync() => int.Parse((await TmuxAsync(["display-message", "-p", "-t", "main", "#{pane_pid}"])).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Polls the pane until <paramref name="text"/> appears; returns the pane's text.</summary>
    public Task<string> WaitForTextAsync(string text, TimeSpan? timeout = null) =>
        WaitForAsync(screen => screen.Contains(text, StringComparison.Ordinal), $"'{text}'", timeout);

    /// <summary>Polls the pane until <paramref name="condition"/> holds; fails with the pane's text after the timeout.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = Stopwatch.StartNew();
        var deadline = timeout ?? DefaultTimeout;
        while (true)
        {
            var history = await HistoryAsync();
            if (condition(history))
            {
                return history;
            }

            if (limit.Elapsed > deadline)
            {
                throw new TimeoutException($"the terminal never showed {what} within {deadline.TotalSeconds:0}s; it shows:\n{history}");
            }

            await Task.Delay(PollInterval);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await TmuxAsync(["kill-server"]);
        }
        catch (InvalidOperationException)
        {
            // The server is already gone (its last pane exited).
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans temporary directories.
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool IsTestRunnerVariable(string name) =>
        name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase) || name is "DOTNET_HOST_PATH";

    private async Task<string> TmuxAsync(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-S");
        info.ArgumentList.Add(_socket);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The pane is a person's terminal: nothing of the test runner's own (its terminal, the
        // MSBuild and test host variables `dotnet test` sets, which would steer a `dotnet build`
        // typed in the pane) leaks into it.
        info.Environment.Remove("TMUX");
        info.Environment["TERM"] = "xterm-256color";
        foreach (var name in info.Environment.Keys.Where(IsTestRunnerVariable).ToList())
        {
            info.Environment.Remove(name);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tmux {string.Join(' ', info.ArgumentList)} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }
}
