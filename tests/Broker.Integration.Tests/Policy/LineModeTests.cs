using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Recorder;

namespace Broker.Integration.Tests.Policy;

/// <summary>Interactive sessions of a line-mode role (the dev policy's agent): every typed command is decided first.</summary>
public sealed class LineModeTests : IClassFixture<BrokerFixture>
{
    // The dev policy's PS1 ends in \$: sessions run as accounts of their own (or, without root, as the broker's), never as root.
    private const string Prompt = "$ ";

    private readonly BrokerFixture _broker;

    public LineModeTests(BrokerFixture broker) => _broker = broker;

    private async Task<TerminalClient> OpenAtPromptAsync()
    {
        var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}")));
        await terminal.WaitForOutputAsync(Prompt);
        return terminal;
    }

    /// <summary>A review line is held at the prompt (see Approvals/HeldLineTests): Ctrl-C takes it back.</summary>
    private static async Task WithdrawHeldAsync(TerminalClient terminal)
    {
        await terminal.WaitForOutputAsync("Ctrl-C withdraws");
        await terminal.SendAsync("\u0003");
    }

    [Fact]
    public async Task An_allowed_command_runs_once_and_the_markers_never_reach_the_agent()
    {
        await using var terminal = await OpenAtPromptAsync();
        terminal.Notices[0].Message.Should().StartWith("line mode");

        await terminal.SendAsync("echo line-mode-works\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);

        terminal.Output.Should().Contain("echo line-mode-works\r\nline-mode-works\r\n");
        terminal.Output.Should().NotContain("133;").And.NotContain("__broker_sync");
        terminal.Decisions.Should().ContainSingle().Which.Verdict.Should().Be(Verdict.Allow);
        terminal.Decisions[0].Command.Should().Be("echo line-mode-works");
    }

    [Theory]
    [InlineData("touch {0}", Verdict.Review)]
    [InlineData("bash -c 'touch {0}'", Verdict.Deny)]
    [InlineData("ls; touch {0}", Verdict.Review)]
    [InlineData("echo $(touch {0})", Verdict.Review)]
    [InlineData("r\\m -f {0}x; touch {0}", Verdict.Review)]
    public async Task A_refused_command_never_reaches_the_shell_and_the_session_goes_on(string template, Verdict verdict)
    {
        var marker = Path.Combine(Path.GetTempPath(), $"line-mode-{Guid.NewGuid():n}");
        await using var terminal = await OpenAtPromptAsync();

        await terminal.SendAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, marker) + "\r");
        if (verdict == Verdict.Review)
        {
            await WithdrawHeldAsync(terminal);
        }

        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo still-here\r");
        await terminal.WaitForOutputAsync("still-here\r\n", occurrences: 2);

        File.Exists(marker).Should().BeFalse();
        terminal.Decisions[0].Verdict.Should().Be(verdict);
        terminal.Output.Should().Contain(verdict == Verdict.Review ? "did not run" : "broker: deny");
    }

    [Fact]
    public async Task Line_editing_and_continuation_lines_give_the_command_the_shell_runs()
    {
        await using var terminal = await OpenAtPromptAsync();

        await terminal.SendAsync("rm -rf /tmp\u0015ech\u007fho edited-ok\r");
        await terminal.WaitForOutputAsync("edited-ok\r\n", occurrences: 2);
        await terminal.SendAsync("echo 'first\r");
        await terminal.SendAsync("second'\r");
        await terminal.WaitForOutputAsync("first\r\nsecond\r\n");

        terminal.Decisions.Select(d => d.Command).Should().Equal("echo edited-ok", "echo 'first\nsecond'");
    }

    [Fact]
    public async Task A_program_reading_stdin_gets_typed_lines_as_input_not_as_commands()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"line-mode-{Guid.NewGuid():n}");
        await using var terminal = await OpenAtPromptAsync();

        // Keys typed before the program has started wait for the next prompt, so wait for it to run.
        await terminal.SendAsync("echo reading; cat\r");
        await terminal.WaitForOutputAsync("reading\r\n");
        await terminal.SendAsync($"touch {marker}\r");
        await terminal.WaitForOutputAsync($"touch {marker}\r\n", occurrences: 2);
        await terminal.SendAsync("\u0004");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);

        File.Exists(marker).Should().BeFalse();
        terminal.Decisions.Select(d => d.Command).Should().Equal("echo reading; cat");
    }

    [Fact]
    public async Task Typeahead_a_program_did_not_read_is_discarded_at_the_prompt_not_run()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"line-mode-{Guid.NewGuid():n}");
        await using var terminal = await OpenAtPromptAsync();

        // The program runs for a while and never reads the terminal: what is typed meanwhile stays queued.
        await terminal.SendAsync("echo started; timeout 3 tail -f /dev/null\r");
        await terminal.WaitForOutputAsync("started\r\n");
        await terminal.SendAsync($"touch {marker}\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo after-typeahead\r");
        await terminal.WaitForOutputAsync("after-typeahead\r\n", occurrences: 2);

        File.Exists(marker).Should().BeFalse();
        terminal.Decisions.Select(d => d.Command).Should().NotContain(c => c.Contains("touch", StringComparison.Ordinal),
            "the typeahead went to the running program, so it was neither decided nor run");
    }

    [Fact]
    public async Task An_answer_typed_before_its_program_started_goes_with_the_interrupt_and_never_runs_as_a_command()
    {
        await using var terminal = await OpenAtPromptAsync();

        // One frame: the command, and its answer typed before the program exists. The broker has not seen the command
        // start, so the answer waits for the next prompt, and read waits for input that does not come.
        await terminal.SendAsync("echo reading; read -r pw; echo got-$pw\recho typed-ahead-$((6*7))\r");
        // The program's output comes after its start marker in the one stream: the broker knows it runs.
        await terminal.WaitForOutputAsync("reading\r\n");
        await terminal.SendAsync("\u0003");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo after-interrupt\r");
        await terminal.WaitForOutputAsync("after-interrupt\r\n", occurrences: 2);

        // As a terminal's interrupt flushes its input queue, the answer went with it: neither decided nor run.
        terminal.Output.Should().NotContain("typed-ahead-42");
        terminal.Decisions.Select(d => d.Command).Should().Equal("echo reading; read -r pw; echo got-$pw", "echo after-interrupt");
    }

    [Fact]
    public async Task A_look_alike_marker_printed_by_a_program_is_plain_output_and_changes_nothing()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"line-mode-{Guid.NewGuid():n}");
        await using var terminal = await OpenAtPromptAsync();

        await terminal.SendAsync("printf '\\033]133;A;forged;0\\007\\033]133;B;forged\\007'\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync($"touch {marker}\r");
        await WithdrawHeldAsync(terminal);
        await terminal.WaitForOutputAsync(Prompt, occurrences: 3);

        terminal.Output.Should().Contain("\u001b]133;A;forged;0\u0007");
        File.Exists(marker).Should().BeFalse();
        terminal.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Allow, Verdict.Review);
    }

    [Fact]
    public async Task Commands_sent_in_one_burst_with_end_of_input_run_in_order_and_end_the_shell()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"line-mode-{Guid.NewGuid():n}");
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}")));

        await terminal.SendAsync($"echo burst-one\ntouch {marker}\necho burst-two\n");
        await terminal.SendAsync(new InteractRequest { EndOfInput = new EndOfInput() });
        // The review line is held at the prompt, the rest waiting behind it, until an operator denies it.
        await terminal.WaitForOutputAsync("Ctrl-C withdraws");
        var id = System.Text.RegularExpressions.Regex.Match(terminal.Output, "held for approval (apr-[0-9a-f]+)").Groups[1].Value;
        var operators = new ApprovalService.ApprovalServiceClient(_broker.Channel(_broker.Token("op-burst", "operators")));
        await operators.DenyRequestAsync(new DenyRequestRequest { Id = id, Reason = "not in a burst" });
        await terminal.WaitForExitAsync();

        // Each line shows twice: the broker's echo of the command, then the command's output.
        terminal.Output.Should().Contain("echo burst-one\r\nburst-one\r\n").And.Contain("echo burst-two\r\nburst-two\r\n");
        terminal.Output.IndexOf("burst-one", StringComparison.Ordinal).Should().BeLessThan(terminal.Output.IndexOf("burst-two", StringComparison.Ordinal));
        terminal.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Allow, Verdict.Review, Verdict.Deny, Verdict.Allow);
        File.Exists(marker).Should().BeFalse();
        terminal.Exit!.Code.Should().Be(0);
    }

    [Fact]
    public async Task Ctrl_d_at_the_prompt_ends_the_shell()
    {
        await using var terminal = await OpenAtPromptAsync();
        await terminal.SendAsync("\u0004");
        await terminal.WaitForExitAsync();
        terminal.Exit!.Code.Should().Be(0);
    }

    [Fact]
    public async Task Ctrl_d_typed_while_a_command_runs_that_no_program_reads_ends_the_shell_once_the_command_has_ended()
    {
        await using var terminal = await OpenAtPromptAsync();

        // The key goes to the running program, which never reads the terminal; as in a terminal, the shell reads it next.
        await terminal.SendAsync("echo started; timeout 2 tail -f /dev/null\r");
        await terminal.WaitForOutputAsync("started\r\n");
        await terminal.SendAsync("\u0004");
        await terminal.WaitForExitAsync();

        terminal.Exit!.Code.Should().Be(124, "the shell ends with the last command's status (timeout's), as bash does at Ctrl-D");
    }

    [Fact]
    public async Task Typed_commands_are_recorded_with_their_decisions_and_exit_codes()
    {
        string id;
        await using (var terminal = await OpenAtPromptAsync())
        {
            id = terminal.Opened!.SessionId;
            await terminal.SendAsync("ls /no-such-dir-xyz\r");
            await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
            await terminal.SendAsync("rm -rf /tmp/nothing-here\r");
            await WithdrawHeldAsync(terminal);
            await terminal.WaitForOutputAsync(Prompt, occurrences: 3);
            await terminal.SendAsync("\u0004");
            await terminal.WaitForExitAsync();
        }

        var events = await SealedRecording.ReadAsync(_broker, id);
        var commands = events.OfType<CommandEvent>().Select(c => c.Command).ToList();
        commands.Select(c => (c.Text, c.Decision)).Should().Equal(("ls /no-such-dir-xyz", "allow"), ("rm -rf /tmp/nothing-here", "review"));
        events.OfType<CommandExitEvent>().Should().ContainSingle().Which.Should().Match<CommandExitEvent>(e => e.ExitCode == 2 && e.CommandNumber == commands[0].Number);
        var input = System.Text.Encoding.UTF8.GetString(events.OfType<InputEvent>().SelectMany(e => e.Data.ToArray()).ToArray());
        input.Should().Contain("ls /no-such-dir-xyz\n").And.NotContain("rm -rf").And.NotContain("__broker_sync");
    }
}
