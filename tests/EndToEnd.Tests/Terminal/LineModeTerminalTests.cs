namespace EndToEnd.Tests.Terminal;

/// <summary>
/// <c>agent-client shell</c> at a real terminal (tmux) for an agent's role (line mode): the broker
/// edits the line at the prompt and decides it, Ctrl-C behaves as at a terminal, the client's
/// escape sequences and signals from outside leave the local terminal as it was.
/// </summary>
public sealed class LineModeTerminalTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public LineModeTerminalTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task A_typed_line_is_echoed_once_and_runs_once()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();

        await terminal.Screen.EnterAsync("echo on''ce");
        var history = await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "once") > 0, "the output line");

        ClientTerminal.CountLines(history, "once").Should().Be(1);
        CountOccurrences(history, "echo on''ce").Should().Be(1, "the line is echoed by the broker only, never by the local terminal too");
        await terminal.Screen.PressAsync("C-d");
        (await terminal.ClientExitCodeAsync()).Should().Be(0);
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Ctrl_c_interrupts_the_running_command_and_the_session_goes_on()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();

        await terminal.Screen.EnterAsync("echo sta''rted; tail -f /dev/null");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "started") > 0, "the command's first output");
        await terminal.Screen.PressAsync("C-c");
        // The next line is typed at the next prompt: typed while the command still runs, it is the command's input,
        // thrown away at the prompt, as line mode promises.
        await terminal.Screen.WaitForAsync(s => ClientTerminal.After(s, "started").Split('\n').Any(l => l.TrimEnd().EndsWith('$')), "the prompt after the interrupt");
        await terminal.Screen.EnterAsync("echo af''ter");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "after") > 0, "the next command's output");

        await terminal.Screen.PressAsync("C-d");
        (await terminal.ClientExitCodeAsync()).Should().Be(0);
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Ctrl_c_at_the_prompt_throws_the_line_away()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();

        await terminal.Screen.TypeAsync("echo ne''ver");
        await terminal.Screen.WaitForTextAsync("echo ne''ver");
        await terminal.Screen.PressAsync("C-c");
        await terminal.Screen.EnterAsync("echo cl''ean");
        var history = await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "clean") > 0, "the next command's output");

        ClientTerminal.CountLines(history, "never").Should().Be(0);
        await terminal.Screen.PressAsync("C-d");
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Tilde_dot_after_enter_ends_the_session_and_restores_the_terminal()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();

        await terminal.Screen.EnterAsync("echo be''fore");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "before") > 0, "the command's output");
        await terminal.Screen.TypeAsync("~.");
        await terminal.Screen.WaitForTextAsync("session closed with ~.");

        (await terminal.ClientExitCodeAsync()).Should().Be(10);
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Tilde_ctrl_z_suspends_the_client_with_the_terminal_restored_and_fg_resumes_it()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();

        await terminal.Screen.PressAsync("Enter");
        await terminal.Screen.TypeAsync("~");
        await terminal.Screen.PressAsync("C-z");
        await terminal.Screen.WaitForTextAsync("Stopped");
        (await terminal.SettingsRestoredAsync()).Should().BeTrue("a stopped client leaves the terminal to the local shell as it found it");

        await terminal.Screen.EnterAsync("fg");
        await terminal.Screen.EnterAsync("echo ba''ck");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "back") > 0, "the resumed session's output");
        await terminal.Screen.PressAsync("C-d");
        (await terminal.ClientExitCodeAsync()).Should().Be(0);
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public async Task A_termination_signal_from_outside_ends_the_client_with_the_terminal_restored(string signal, int exitCode)
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();
        await terminal.Screen.EnterAsync("echo run''ning");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "running") > 0, "the command's output");

        var client = await terminal.ClientProcessIdAsync();
        (await BuiltTools.RunAsync("/bin/kill", ["-" + signal, client.ToString(System.Globalization.CultureInfo.InvariantCulture)])).Code.Should().Be(0);

        (await terminal.ClientExitCodeAsync()).Should().Be(exitCode);
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Sigtstp_from_outside_stops_the_client_with_the_terminal_restored()
    {
        await using var terminal = await StartAsync();
        await terminal.OpenShellAsync();
        await terminal.Screen.EnterAsync("echo run''ning");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "running") > 0, "the command's output");

        var client = await terminal.ClientProcessIdAsync();
        (await BuiltTools.RunAsync("/bin/kill", ["-TSTP", client.ToString(System.Globalization.CultureInfo.InvariantCulture)])).Code.Should().Be(0);
        await terminal.Screen.WaitForTextAsync("Stopped");

        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
        await terminal.Screen.EnterAsync("fg");
        await terminal.Screen.EnterAsync("echo ag''ain");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "again") > 0, "the resumed session's output");
        await terminal.Screen.PressAsync("C-d");
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private async Task<ClientTerminal> StartAsync() => await ClientTerminal.StartAsync(_broker, await _broker.TokenAsync("line-" + Guid.NewGuid().ToString("n")[..8]));
}
