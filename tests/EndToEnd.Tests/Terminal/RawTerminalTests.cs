using Broker.TestSupport;

namespace EndToEnd.Tests.Terminal;

/// <summary>
/// <c>agent-client shell</c> at a real terminal (tmux), for a role with <c>terminal: raw</c>
/// (the dev policy's <c>shell-users</c>): keys go through one by one as typed, full-screen
/// programs work, and the local terminal comes back exactly as it was.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RawTerminalTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public RawTerminalTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task Each_key_reaches_the_remote_program_as_it_is_typed_control_keys_included()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();

        // The remote terminal is made raw too, so cat sees each byte at once and shows it (-v).
        await terminal.Screen.EnterAsync("stty raw -echo; echo ready-$((6*7)); dd bs=1 count=5 2>/dev/null | cat -v; stty sane; echo; echo done-$((6*7))");
        await terminal.Screen.WaitForTextAsync("ready-42");
        var expected = string.Empty;
        foreach (var (key, shown) in new[] { ("x", "x"), ("Escape", "^["), ("C-c", "^C"), ("C-z", "^Z"), ("C-\\", "^\\") })
        {
            await terminal.Screen.PressAsync(key);
            expected += shown;
            await terminal.Screen.WaitForAsync(s => ClientTerminal.After(s, "ready-42").Contains(expected, StringComparison.Ordinal), $"'{expected}' from cat -v");
        }

        await terminal.Screen.WaitForTextAsync("done-42");
        await terminal.Screen.EnterAsync("exit 3");
        (await terminal.ClientExitCodeAsync()).Should().Be(3);
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Ctrl_c_interrupts_the_running_program_and_the_next_command_runs()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();

        await terminal.Screen.EnterAsync("echo started-$((40+2)); sleep 1000");
        await terminal.Screen.WaitForTextAsync("started-42");
        await terminal.Screen.PressAsync("C-c");
        await terminal.Screen.EnterAsync("echo status-$?");
        var history = await terminal.Screen.WaitForTextAsync("status-130");

        history.Should().Contain("^C");
        await terminal.Screen.EnterAsync("exit");
        (await terminal.ClientExitCodeAsync()).Should().Be(0);
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Vi_edits_and_saves_a_file()
    {
        await using var terminal = await StartAsync();
        // The session runs as an account of its own: the file is where that account may write.
        using var directory = new SessionScratch("e2e-vi-");
        var file = directory.File("notes.txt");
        await terminal.OpenShellAsync();
        var prompt = await terminal.PromptAsync();

        await terminal.Screen.EnterAsync($"vi {file}");
        await terminal.Screen.WaitForTextAsync("[New");
        await terminal.Screen.PressAsync("i");
        await terminal.Screen.TypeAsync("typed in vi");
        await terminal.Screen.PressAsync("Escape");
        await terminal.Screen.TypeAsync(":wq");
        await terminal.Screen.PressAsync("Enter");
        await terminal.WaitForPromptAsync(prompt);
        await terminal.Screen.EnterAsync("echo saved-$((5+5))");
        await terminal.Screen.WaitForTextAsync("saved-10");

        (await File.ReadAllTextAsync(file)).Should().Be("typed in vi\n");
        await terminal.Screen.EnterAsync("exit");
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Top_quits_on_q_and_the_window_size_follows_the_terminal()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();
        var prompt = await terminal.PromptAsync();

        await terminal.Screen.EnterAsync("top");
        var firstFrame = TopClock(await terminal.Screen.WaitForTextAsync("load average"));
        // A key pressed while top still sets up its terminal can be flushed away: its second frame (its clock moved on)
        // shows it is in its refresh loop, reading keys.
        await terminal.Screen.WaitForAsync(screen => TopClock(screen) is { } clock && clock != firstFrame, "a second frame of top");
        await terminal.Screen.PressAsync("q");

        // Not typed ahead: top flushes its input as it quits, so a command typed before the prompt is back can vanish.
        await terminal.WaitForPromptAsync(prompt);
        await terminal.Screen.EnterAsync("echo after-top-$((1+1))");
        await terminal.Screen.WaitForTextAsync("after-top-2");

        await terminal.Screen.ResizeAsync(120, 40);
        await terminal.Screen.EnterAsync("echo size-$(stty size | tr ' ' x)");
        await terminal.Screen.WaitForTextAsync("size-40x120");
        await terminal.Screen.EnterAsync("exit");
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    /// <summary>The time in the header of the last frame of top on the screen.</summary>
    private static string? TopClock(string screen) =>
        System.Text.RegularExpressions.Regex.Matches(screen, @"top - ([0-9]{2}:[0-9]{2}:[0-9]{2})") is { Count: > 0 } frames ? frames[^1].Groups[1].Value : null;

    private async Task<ClientTerminal> StartAsync() => await ClientTerminal.StartAsync(_broker, await _broker.TokenAsync("raw-" + Guid.NewGuid().ToString("n")[..8], "shell-users"));
}
