using System.Diagnostics;

namespace Recorder.Tests.Support;

/// <summary>
/// A real terminal to check effects in: a tmux server of its own (its own socket in a temporary
/// directory), one pane running a command. tmux answers terminal queries by typing into the pane,
/// sets the pane title on OSC 0/2 and, with set-clipboard on, turns OSC 52 into a paste buffer.
/// </summary>
internal sealed class TmuxTerminal : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _socket;

    private TmuxTerminal(string socket) => _socket = socket;

    /// <summary>Starts a server whose only pane runs <paramref name="command"/> (a shell command line).</summary>
    public static async Task<TmuxTerminal> StartAsync(string directory, string command)
    {
        var terminal = new TmuxTerminal(Path.Combine(directory, "tmux.sock"));

        // In the server's configuration, read before the pane's command starts: set after new-session, the option
        // raced the command, and a clipboard write played early under load made no buffer.
        var configuration = Path.Combine(directory, "tmux.conf");
        await File.WriteAllTextAsync(configuration, "set-option -g set-clipboard on\n");
        await terminal.RunAsync("-f", configuration, "new-session", "-d", "-x", "120", "-y", "40", "-s", "audit", command);
        return terminal;
    }

    /// <summary>Waits until the pane shows <paramref name="text"/>, polling the screen; the screen when it does.</summary>
    public async Task<string> WaitForAsync(string text)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var screen = await RunAsync("capture-pane", "-p", "-t", "audit");
            if (screen.Contains(text, StringComparison.Ordinal))
            {
                return screen;
            }

            if (deadline.Elapsed > Timeout)
            {
                throw new TimeoutException($"the pane never showed '{text}'; it shows:\n{screen}");
            }

            await Task.Delay(50);
        }
    }

    public Task<string> TitleAsync() => RunAsync("display-message", "-p", "-t", "audit", "#{pane_title}");

    /// <summary>The paste buffers' contents (OSC 52 with set-clipboard on creates one).</summary>
    public Task<string> BuffersAsync() => RunAsync("list-buffers", "-F", "#{buffer_sample}");

    /// <summary>Types <paramref name="text"/> into the pane as keys.</summary>
    public Task TypeAsync(string text) => RunAsync("send-keys", "-t", "audit", "-l", text);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("kill-server");
        }
        catch (InvalidOperationException)
        {
            // The server is already gone.
        }
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-S");
        start.ArgumentList.Add(_socket);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("tmux did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {await error}");
    }
}
