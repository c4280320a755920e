using System.Text.RegularExpressions;

namespace EndToEnd.Tests.Terminal;

/// <summary>
/// A person's terminal with the built <c>agent-client</c> on its PATH, pointed at a broker with a
/// token. It notes the terminal's settings (<c>stty -g</c>) before anything runs, so a test can
/// check they are exactly the same once the client has exited.
/// </summary>
public sealed class ClientTerminal : IAsyncDisposable
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    private int? _client;

    private ClientTerminal(TmuxTerminal screen) => Screen = screen;

    public TmuxTerminal Screen { get; }

    private string SavedSettings => Path.Combine(Screen.Directory, "stty-before");

    public static async Task<ClientTerminal> StartAsync(BrokerProcess broker, string token, int columns = 100, int rows = 30)
    {
        var client = Path.GetDirectoryName(BuiltTools.AgentClient)!;
        var screen = await TmuxTerminal.StartAsync(new Dictionary<string, string>
        {
            ["PATH"] = client + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["BROKER_URL"] = broker.Url,
            ["BROKER_TOKEN"] = token,
        }, columns, rows);
        var terminal = new ClientTerminal(screen);
        await screen.EnterAsync($"stty -g > {terminal.SavedSettings}; echo saved-$((20+1))");
        await screen.WaitForTextAsync("saved-21");
        return terminal;
    }

    /// <summary>Starts <c>agent-client shell --target local</c> and waits for the broker's banner (line mode or raw terminal).</summary>
    public Task OpenShellAsync() =>
        StartClientAsync("agent-client shell --target local", s => s.Contains("[broker] line mode", StringComparison.Ordinal) || s.Contains("[broker] raw terminal", StringComparison.Ordinal));

    /// <summary>Types <paramref name="commandLine"/> (an agent-client command) and waits until the screen shows it is ready.</summary>
    public async Task StartClientAsync(string commandLine, Func<string, bool> ready)
    {
        await Screen.EnterAsync(commandLine);
        await Screen.WaitForAsync(ready, $"'{commandLine}' ready");
        _client = await ClientProcessIdAsync();
    }

    /// <summary>
    /// Waits until the client no longer reads the terminal (it has exited, or it is stopped), so
    /// that what is typed next reaches the local shell and not the client.
    /// </summary>
    public async Task WaitUntilClientIsOffTheTerminalAsync()
    {
        if (_client is not { } pid)
        {
            return;
        }

        var limit = System.Diagnostics.Stopwatch.StartNew();
        while (ProcessState(pid) is { } state && state is not ('T' or 't' or 'Z'))
        {
            if (limit.Elapsed > ClientTimeout)
            {
                throw new TimeoutException($"agent-client ({pid}) still runs after {ClientTimeout.TotalSeconds:0}s; the terminal shows:\n{await Screen.HistoryAsync()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Back at the local shell: the exit code of the client, read from <c>$?</c>.</summary>
    public async Task<int> ClientExitCodeAsync()
    {
        await WaitUntilClientIsOffTheTerminalAsync();
        var marker = "client-exit-" + Guid.NewGuid().ToString("n")[..6];
        await Screen.EnterAsync($"echo {marker}=$?");
        var pattern = new Regex(Regex.Escape(marker) + @"=(\d+)");
        var history = await Screen.WaitForAsync(pattern.IsMatch, "the client's exit code");
        return int.Parse(pattern.Match(history).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the terminal's settings are what they were before the client ran.</summary>
    public async Task<bool> SettingsRestoredAsync()
    {
        await WaitUntilClientIsOffTheTerminalAsync();
        var tag = Guid.NewGuid().ToString("n")[..6];
        await Screen.EnterAsync($"stty -g | cmp -s - {SavedSettings} && echo same-{tag}-$((1+1)) || echo changed-{tag}-$((1+1))");
        var history = await Screen.WaitForAsync(s => s.Contains($"same-{tag}-2", StringComparison.Ordinal) || s.Contains($"changed-{tag}-2", StringComparison.Ordinal), "the settings comparison");
        return history.Contains($"same-{tag}-2", StringComparison.Ordinal);
    }

    /// <summary>The shell's prompt as the pane shows it, once it is the last line on the screen (read it before starting a full-screen program).</summary>
    public async Task<string> PromptAsync() =>
        LastLine(await Screen.WaitForAsync(s => LastLine(s).EndsWith('$'), "the shell's prompt"));

    /// <summary>
    /// Waits until <paramref name="prompt"/> (from <see cref="PromptAsync"/>) is the last line again: the program that had the
    /// terminal has exited and the shell reads the next line. Keys typed before that can be lost, as at any terminal: top
    /// discards pending input after every key it reads and as it restores the terminal, vi reads ahead and exits with it.
    /// </summary>
    public Task WaitForPromptAsync(string prompt) =>
        Screen.WaitForAsync(s => LastLine(s) == prompt, $"the shell's prompt '{prompt}' again");

    /// <summary>The last line of the pane with any text on it, trailing blanks removed.</summary>
    public static string LastLine(string history) =>
        history.Split('\n').Select(l => l.TrimEnd()).LastOrDefault(l => l.Length > 0) ?? string.Empty;

    /// <summary>The lines of the pane that are exactly <paramref name="line"/> (trailing blanks ignored).</summary>
    public static int CountLines(string history, string line) =>
        history.Split('\n').Count(l => l.TrimEnd() == line);

    /// <summary>The text after the last occurrence of <paramref name="marker"/>.</summary>
    public static string After(string history, string marker)
    {
        var at = history.LastIndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? string.Empty : history[(at + marker.Length)..];
    }

    /// <summary>The process id of the running agent-client (a child of the pane's shell).</summary>
    public async Task<int> ClientProcessIdAsync()
    {
        var shell = (await Screen.ShellProcessIdAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            string stat;
            try
            {
                stat = await File.ReadAllTextAsync(Path.Combine(directory, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile.
                continue;
            }

            // pid (comm) state ppid ...
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[1] == shell && stat.Contains("(agent-client)", StringComparison.Ordinal))
            {
                return int.Parse(Path.GetFileName(directory), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no agent-client process under the pane's shell {shell}");
    }

    /// <summary>The process's state letter from /proc, or null once it is gone.</summary>
    private static char? ProcessState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => Screen.DisposeAsync();
}
