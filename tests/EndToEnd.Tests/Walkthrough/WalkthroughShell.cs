using System.Globalization;
using System.Text.RegularExpressions;
using EndToEnd.Tests.Terminal;

namespace EndToEnd.Tests.Walkthrough;

/// <summary>
/// One of the walk-through's terminals: a tmux pane whose prompt shows the last exit status
/// (<c>[walk:STATUS]$</c>), so each typed command's status and output are read off the screen.
/// </summary>
public sealed partial class WalkthroughShell : IAsyncDisposable
{
    /// <summary>The PS1 of every walk-through terminal.</summary>
    public const string Prompt = "[walk:$?]$ ";

    private int _prompts;

    private WalkthroughShell(TmuxTerminal screen) => Screen = screen;

    public TmuxTerminal Screen { get; }

    public static async Task<WalkthroughShell> StartAsync(string directory, IReadOnlyDictionary<string, string> environment)
    {
        var shell = new WalkthroughShell(await TmuxTerminal.StartAsync(environment, 220, 50, directory, Prompt));
        shell._prompts = PromptLine().Count(await shell.Screen.HistoryAsync());
        return shell;
    }

    /// <summary>Types <paramref name="line"/> and waits for the next prompt; returns the command's status and what it printed.</summary>
    public async Task<(int Status, string Output)> RunAsync(string line, TimeSpan timeout)
    {
        await TypeAsync(line);
        return await CompletionAsync(timeout);
    }

    /// <summary>Types <paramref name="line"/> and Enter without waiting (a long-running or interactive command).</summary>
    public Task TypeAsync(string line) => Screen.EnterAsync(line);

    /// <summary>Waits for the prompt after the command typed last; returns its status and output.</summary>
    public async Task<(int Status, string Output)> CompletionAsync(TimeSpan timeout)
    {
        var expected = _prompts + 1;
        var history = await Screen.WaitForAsync(s => PromptLine().Count(s) >= expected, "the next prompt", timeout);
        var prompts = PromptLine().Matches(history);
        _prompts = prompts.Count;
        var previous = prompts[expected - 2];
        var next = prompts[expected - 1];
        var afterCommandLine = history.IndexOf('\n', previous.Index);
        var output = afterCommandLine < 0 || afterCommandLine > next.Index ? string.Empty : history[(afterCommandLine + 1)..next.Index];
        return (int.Parse(next.Groups[1].Value, CultureInfo.InvariantCulture), output);
    }

    public ValueTask DisposeAsync() => Screen.DisposeAsync();

    [GeneratedRegex(@"^\[walk:(\d+)\]\$", RegexOptions.Multiline)]
    private static partial Regex PromptLine();
}
