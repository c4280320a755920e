using System.Text;

namespace Broker.Policy.Tests;

/// <summary>A line the gate holds for approval: it stays at the prompt until the outcome, then runs or is refused.</summary>
public sealed class LineDisciplineHoldTests
{
    private static readonly byte[] Sync = "\n__sync__\n"u8.ToArray();

    private readonly HoldingGate _gate = new();
    private readonly List<LineAction> _actions = [];
    private readonly LineDiscipline _line;

    public LineDisciplineHoldTests()
    {
        _line = new LineDiscipline(_gate, Sync);
        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);
        _actions.Clear();
    }

    private string ToShell => string.Concat(_actions.OfType<LineAction.ToShell>().Where(a => a.Record).Select(a => Encoding.UTF8.GetString(a.Data)));

    private string ToAgent => string.Concat(_actions.OfType<LineAction.ToAgent>().Select(a => Encoding.UTF8.GetString(a.Data)));

    private void Type(string keys) => _line.Input(Encoding.UTF8.GetBytes(keys), _actions).Should().BeTrue();

    [Fact]
    public void A_held_line_sends_nothing_to_the_shell_until_it_is_approved_and_then_exactly_that_line()
    {
        Type("rm a\r");

        ToShell.Should().BeEmpty();
        ToAgent.Should().Be("rm a\r\n");
        _actions.Clear();

        _line.HoldEnded(1, new LineVerdict(true, null, 1), _actions);

        ToShell.Should().Be("rm a\n");
        _actions.OfType<LineAction.TerminalEcho>().Should().ContainSingle().Which.Enabled.Should().BeTrue();
        _line.CommandStarted(_actions);
        _line.ProgramRunning.Should().BeTrue();
        _line.PromptStarted(0, _actions);
        _gate.Finished.Should().Equal((1L, 0));
    }

    [Fact]
    public void A_refused_outcome_shows_why_and_asks_for_a_fresh_prompt()
    {
        Type("rm a\r");
        _actions.Clear();

        _line.HoldEnded(1, new LineVerdict(false, "broker: deny: no", 1), _actions);

        ToAgent.Should().Be("broker: deny: no\r\n");
        ToShell.Should().Be("\n");
    }

    [Fact]
    public void Keys_typed_while_held_wait_for_the_next_prompt_and_are_not_decided_meanwhile()
    {
        Type("rm a\r");
        Type("echo next\r");

        _gate.Decided.Should().Equal("rm a");
        _line.HoldEnded(1, new LineVerdict(true, null, 1), _actions);
        _line.CommandStarted(_actions);
        _actions.Clear();
        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("rm a", "echo next");
        ToShell.Should().Be("echo next\n");
    }

    [Fact]
    public void Ctrl_c_while_held_withdraws_once_drops_the_keys_before_it_and_the_outcome_gives_a_fresh_prompt()
    {
        Type("rm a\r");
        Type("echo typed-before\u0003");
        Type("\u0003echo after\r");

        _actions.OfType<LineAction.Withdraw>().Should().ContainSingle().Which.Handle.Should().Be(1);
        ToShell.Should().BeEmpty();
        _actions.Clear();
        _line.HoldEnded(1, new LineVerdict(false, "broker: withdrawn", 1), _actions);
        ToShell.Should().Be("\n");
        _actions.Clear();
        _line.PromptStarted(0, _actions);
        _line.PromptShown(_actions);

        _gate.Decided.Should().Equal("rm a", "echo after");
    }

    [Fact]
    public void An_outcome_for_another_line_changes_nothing()
    {
        Type("rm a\r");
        _actions.Clear();

        _line.HoldEnded(7, new LineVerdict(true, null, 7), _actions);

        _actions.Should().BeEmpty();
    }

    private sealed class HoldingGate : ILineModeGate
    {
        public List<string> Decided { get; } = [];

        public List<(long, int)> Finished { get; } = [];

        public LineVerdict Decide(string command)
        {
            Decided.Add(command);
            return command.StartsWith("rm", StringComparison.Ordinal) ? LineVerdict.Holding(Decided.Count) : new LineVerdict(true, null, Decided.Count);
        }

        void ILineModeGate.Finished(long handle, int exitStatus) => Finished.Add((handle, exitStatus));

        void ILineModeGate.Withdraw(long handle)
        {
        }
    }
}
