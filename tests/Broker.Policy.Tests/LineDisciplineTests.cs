using System.Text;

namespace Broker.Policy.Tests;

public sealed class LineDisciplineTests
{
    private static readonly byte[] Sync = "\n__sync__\n"u8.ToArray();

    private readonly RecordingGate _gate = new();
    private readonly List<LineAction> _actions = [];
    private readonly LineDiscipline _line;

    public LineDisciplineTests() => _line = new LineDiscipline(_gate, Sync);

    private void AtPrompt()
    {
        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);
        _actions.Clear();
    }

    private void Type(string keys) => _line.Input(Encoding.UTF8.GetBytes(keys), _actions).Should().BeTrue();

    private string ToShell => string.Concat(_actions.OfType<LineAction.ToShell>().Where(a => a.Record).Select(a => Encoding.UTF8.GetString(a.Data)));

    private IEnumerable<string> Described => _actions.Select(a => a switch
    {
        LineAction.TerminalEcho echo => echo.Enabled ? "echo on" : "echo off",
        LineAction.ToShell { Record: false } shell => "unrecorded:" + Encoding.UTF8.GetString(shell.Data),
        LineAction.ToShell shell => "shell:" + Encoding.UTF8.GetString(shell.Data),
        LineAction.ToAgent agent => "agent:" + Encoding.UTF8.GetString(agent.Data),
        _ => "?",
    });

    private string ToAgent => string.Concat(_actions.OfType<LineAction.ToAgent>().Select(a => Encoding.UTF8.GetString(a.Data)));

    [Fact]
    public void The_prompt_start_turns_echo_off_and_sends_the_sync_line_unrecorded()
    {
        _line.PromptStarted(0, _actions);

        Described.Should().Equal("echo off", "unrecorded:\n__sync__\n");
    }

    [Fact]
    public void Input_before_the_prompt_waits_and_is_decided_once_the_prompt_is_shown()
    {
        Type("ls\r");
        _actions.Should().BeEmpty();

        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("ls");
        ToShell.Should().Be("ls\n");
        ToAgent.Should().Be("ls", "the terminal echoes the line end");
    }

    [Fact]
    public void An_allowed_command_turns_the_terminal_echo_on_before_the_shell_can_read_its_line()
    {
        AtPrompt();

        Type("read -s pw\r");

        // A program that turns echo off (read -s) can only run once the line end is written: after echo came on.
        Described.Should().Equal("agent:read -s pw", "shell:read -s pw", "echo on", "shell:\n");
    }

    [Fact]
    public void The_command_start_leaves_the_terminal_echo_as_the_program_set_it()
    {
        AtPrompt();
        Type("read -s pw\r");
        _actions.Clear();

        _line.CommandStarted(_actions);

        _actions.Should().BeEmpty("the program may already have turned echo off");
    }

    [Fact]
    public void A_continued_command_goes_to_the_shell_whole_with_echo_on_before_its_last_line_end()
    {
        AtPrompt();

        Type("echo 'a\r");
        Type("b'\r");

        Described.Should().Equal("agent:echo 'a\r\n> ", "agent:b'", "shell:echo 'a\nb'", "echo on", "shell:\n");
    }

    [Fact]
    public void An_allowed_command_goes_to_the_shell_and_keys_typed_while_it_runs_go_to_it()
    {
        AtPrompt();
        Type("cat\r");
        ToShell.Should().Be("cat\n");
        _line.CommandStarted(_actions);
        _actions.Clear();

        Type("hello\r");

        Described.Should().Equal("shell:hello\r");
        _line.ProgramRunning.Should().BeTrue();
        _gate.Decided.Should().Equal("cat");
    }

    [Theory]
    [InlineData("\u0003")]
    [InlineData("\u001c")]
    [InlineData("\u001a")]
    public void A_signal_key_typed_before_the_command_started_reaches_it_when_it_starts(string key)
    {
        AtPrompt();
        Type("tail -f /dev/null\r");
        _actions.Clear();

        Type("ls" + key);
        _actions.Should().BeEmpty("the command has not started yet");
        _line.CommandStarted(_actions);

        Described.Should().Equal("shell:" + key);
        _line.ProgramRunning.Should().BeTrue();
    }

    [Fact]
    public void Keys_typed_after_an_early_interrupt_still_wait_for_the_next_prompt()
    {
        AtPrompt();
        Type("tail -f /dev/null\r");
        Type("\u0003id\r");
        _line.CommandStarted(_actions);
        _actions.Clear();

        _line.PromptStarted(130, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("tail -f /dev/null", "id");
    }

    [Theory]
    [InlineData("\u0003")]
    [InlineData("\u001c")]
    [InlineData("\u001a")]
    public void A_signal_key_for_the_running_program_flushes_the_keys_typed_before_it_started(string key)
    {
        AtPrompt();
        Type("read -s pw\r");
        // Typed before the command started (its answer, early): these wait for the next prompt...
        Type("hunter2\r");
        _line.CommandStarted(_actions);
        _actions.Clear();

        // ...until the agent interrupts the program it meant them for: as a terminal's signal keys flush its input
        // queue, they go, and the next prompt decides nothing.
        Type(key);
        _line.PromptStarted(130, _actions);
        _line.PromptShown(_actions);

        ToShell.Should().Be(key);
        _gate.Decided.Should().Equal("read -s pw");
    }

    [Fact]
    public void Keys_typed_before_a_program_started_wait_for_the_next_prompt_when_nothing_interrupts_it()
    {
        AtPrompt();
        Type("true\r");
        Type("id\r");
        _line.CommandStarted(_actions);
        Type("x");

        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("true", "id");
    }

    [Fact]
    public void The_editors_echo_of_typed_keys_is_marked_as_echo_and_the_brokers_messages_are_not()
    {
        AtPrompt();
        _gate.Refuse = true;

        Type("g");
        Type("h\u007f");
        Type("\r");

        var shown = _actions.OfType<LineAction.ToAgent>().Select(a => (a.Echo, Text: Encoding.UTF8.GetString(a.Data))).ToList();
        string.Concat(shown.Where(a => a.Echo).Select(a => a.Text)).Should().StartWith("gh").And.Contain("\r\n");
        shown.Where(a => !a.Echo).Select(a => a.Text).Should().Equal("broker: refused\r\n");
    }

    [Fact]
    public void A_refused_command_shows_the_message_and_only_an_empty_line_reaches_the_shell()
    {
        AtPrompt();
        _gate.Refuse = true;

        Type("rm -rf /\r");

        ToShell.Should().Be("\n");
        ToAgent.Should().Be("rm -rf /\r\nbroker: refused\r\n");
        _line.ProgramRunning.Should().BeFalse();
    }

    [Fact]
    public void A_command_start_the_broker_did_not_cause_is_ignored()
    {
        AtPrompt();
        _line.CommandStarted(_actions);
        _actions.Should().BeEmpty();

        Type("rm -rf /");
        _actions.OfType<LineAction.ToShell>().Should().BeEmpty("the line is still being edited by the broker");
    }

    [Fact]
    public void The_exit_status_at_the_next_prompt_is_reported_for_the_command_that_ran()
    {
        AtPrompt();
        Type("ls /nope\r");
        _line.CommandStarted(_actions);
        _line.PromptStarted(2, _actions);

        _gate.Finished.Should().Equal((1L, 2));
    }

    [Fact]
    public void A_refused_command_gets_no_exit_status()
    {
        AtPrompt();
        _gate.Refuse = true;
        Type("rm x\r");
        _line.PromptStarted(0, _actions);

        _gate.Finished.Should().BeEmpty();
    }

    [Fact]
    public void Ctrl_c_discards_the_line_and_asks_for_a_fresh_prompt()
    {
        AtPrompt();
        Type("rm -rf /\u0003");

        _gate.Decided.Should().BeEmpty();
        ToShell.Should().Be("\n");
        ToAgent.Should().EndWith("^C\r\n");
    }

    [Fact]
    public void Ctrl_d_on_an_empty_line_reaches_the_shell_but_not_inside_a_line()
    {
        AtPrompt();
        Type("ls\u0004");
        ToShell.Should().BeEmpty();

        Type("\u0015\u0004");
        ToShell.Should().Be("\u0004");
    }

    [Fact]
    public void An_empty_line_only_refreshes_the_prompt()
    {
        AtPrompt();
        Type("   \r");

        _gate.Decided.Should().BeEmpty();
        ToShell.Should().Be("\n");
    }

    [Fact]
    public void Crlf_counts_as_one_line_end()
    {
        AtPrompt();
        Type("ls\r\n");
        _line.CommandStarted(_actions);
        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("ls");
    }

    [Fact]
    public void Commands_typed_ahead_in_one_burst_are_decided_one_prompt_at_a_time()
    {
        AtPrompt();
        Type("echo one\recho two\r");
        _gate.Decided.Should().Equal("echo one");
        _actions.Clear();

        _line.CommandStarted(_actions);
        _actions.Should().BeEmpty("the next command waits for the next prompt");
        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("echo one", "echo two");
    }

    [Fact]
    public void Typeahead_while_a_program_runs_goes_to_it_raw_never_to_the_gate()
    {
        AtPrompt();
        Type("sleep 5\r");
        _line.CommandStarted(_actions);
        _actions.Clear();

        Type("rm -rf /\r");

        ToShell.Should().Be("rm -rf /\r");
        _gate.Decided.Should().Equal("sleep 5");
        _line.PromptStarted(0, _actions);
        Described.Should().EndWith(["echo off", "unrecorded:\n__sync__\n"], "the shell discards the unread typeahead up to the sync line");
    }

    [Fact]
    public void Input_waiting_for_the_prompt_is_bounded()
    {
        _line.Input(new byte[64 * 1024], _actions).Should().BeTrue();
        _line.Input(new byte[1], _actions).Should().BeFalse();
    }

    [Fact]
    public void End_of_input_reaches_a_running_program_once_and_then_ends_the_shell_at_the_prompt()
    {
        AtPrompt();
        Type("cat\r");
        _line.CommandStarted(_actions);
        _actions.Clear();
        _line.EndOfInput(_actions);
        ToShell.Should().Be("\u0004");

        _actions.Clear();
        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);
        ToShell.Should().Be("\u0004");
    }

    [Fact]
    public void A_piped_script_runs_every_line_and_then_ends_the_shell()
    {
        Type("echo a\necho b\n");
        _line.EndOfInput(_actions);
        for (var i = 0; i < 2; i++)
        {
            _line.PromptStarted(0, _actions);
            _line.PromptShown(_actions);
            _line.CommandStarted(_actions);
        }

        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("echo a", "echo b");
        ToShell.Should().Be("echo a\necho b\n\u0004\u0004", "end of file reaches the last program (which ignores it) and then the shell");
    }

    [Fact]
    public void A_command_longer_than_the_line_editor_keeps_is_never_decided_and_the_shell_gets_a_fresh_prompt()
    {
        AtPrompt();
        var chunk = new string('a', 32 * 1024);
        for (var typed = 0; typed <= CommandLineAssembler.MaxCommandBytes; typed += chunk.Length)
        {
            Type(chunk);
        }

        Type(" && rm -rf /tmp/x\r");

        _gate.Decided.Should().BeEmpty();
        ToShell.Should().Be("\n");
        ToAgent.Should().Contain("is refused");
    }

    private sealed class RecordingGate : ILineModeGate
    {
        public List<string> Decided { get; } = [];

        public List<(long, int)> Finished { get; } = [];

        public bool Refuse { get; set; }

        public LineVerdict Decide(string command)
        {
            Decided.Add(command);
            return new LineVerdict(!Refuse, Refuse ? "broker: refused" : null, Decided.Count);
        }

        void ILineModeGate.Finished(long handle, int exitStatus) => Finished.Add((handle, exitStatus));

        void ILineModeGate.Withdraw(long handle) => throw new InvalidOperationException("this gate holds nothing");
    }
}
