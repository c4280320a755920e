using System.Buffers;
using System.Text;

namespace Broker.Policy.Tests;

public sealed class CommandLineAssemblerTests
{
    private readonly CommandLineAssembler _assembler = new();
    private readonly ArrayBufferWriter<byte> _echo = new();
    private readonly List<string> _commands = [];

    private void Type(string keys) => _assembler.Feed(Encoding.UTF8.GetBytes(keys), _echo, _commands);

    private string Echo => Encoding.UTF8.GetString(_echo.WrittenSpan);

    [Fact]
    public void Plain_line_becomes_one_command_and_is_echoed()
    {
        Type("ls -la\r");
        _commands.Should().Equal("ls -la");
        Echo.Should().Be("ls -la\r\n");
        _assembler.HasPendingInput.Should().BeFalse();
    }

    [Fact]
    public void Keystrokes_one_at_a_time_give_the_same_command()
    {
        foreach (var c in "echo hi\n")
        {
            Type(c.ToString());
        }

        _commands.Should().Equal("echo hi");
    }

    [Theory]
    [InlineData("lsx\b -l\r", "ls -l")]
    [InlineData("lsx\u007f -l\r", "ls -l")]
    [InlineData("rm -rf /\u0015ls\r", "ls")]
    [InlineData("ls /etc /tmp\u0017/var\r", "ls /etc /var")]
    [InlineData("ls /etc   \u0017\u0017pwd\r", "pwd")]
    [InlineData("echo é\be\r", "echo e")]
    public void Line_editing_produces_the_line_the_shell_would_run(string keys, string command)
    {
        Type(keys);
        _commands.Should().Equal(command);
    }

    [Fact]
    public void Ctrl_c_discards_the_partial_command()
    {
        Type("rm -rf \\\r/\u0003ls\r");
        _commands.Should().Equal("ls");
        Echo.Should().Contain("^C\r\n");
    }

    [Theory]
    [InlineData("ls \\\r-la\r", "ls \\\n-la")]
    [InlineData("echo 'a\rb'\r", "echo 'a\nb'")]
    [InlineData("ls &&\rpwd\r", "ls &&\npwd")]
    [InlineData("ls |\rwc -l\r", "ls |\nwc -l")]
    [InlineData("false ||\rtrue\r", "false ||\ntrue")]
    [InlineData("cat <<EOF\rhello\rEOF\r", "cat <<EOF\nhello\nEOF")]
    [InlineData("for f in a b; do\rls $f\rdone\r", "for f in a b; do\nls $f\ndone")]
    [InlineData("if true; then\recho 'x\rdone fi'\rfi\r", "if true; then\necho 'x\ndone fi'\nfi")]
    [InlineData("case x in\ra) echo a ;;\resac\r", "case x in\na) echo a ;;\nesac")]
    [InlineData("echo \"$(echo a\r)\"\r", "echo \"$(echo a\n)\"")]
    public void Continuation_lines_are_joined_into_one_command(string keys, string command)
    {
        Type(keys);
        _commands.Should().Equal(command);
        Echo.Should().Contain("\r\n> ");
    }

    [Fact]
    public void Many_continuation_lines_are_assembled_in_linear_time_and_decided_whole()
    {
        // 120,000 lines inside one quote: before, each line re-parsed all text so far (about 30 s of CPU).
        var keys = new StringBuilder("echo '\r");
        for (var i = 0; i < 120_000; i++)
        {
            keys.Append("line\r");
        }

        keys.Append("end'\r");
        Type(keys.ToString());
        _commands.Should().ContainSingle().Which.Should().EndWith("end'");
        DevPolicy.Decide(_commands[0]).Verdict.Should().Be(Verdict.Allow);
    }

    [Fact]
    public void Many_lines_inside_a_loop_body_are_assembled_and_decided()
    {
        var keys = new StringBuilder("for i in 1 2; do\r");
        for (var i = 0; i < 20_000; i++)
        {
            keys.Append("echo $i\r");
        }

        keys.Append("done\r");
        Type(keys.ToString());
        _commands.Should().ContainSingle().Which.Should().EndWith("done");
    }

    [Fact]
    public void Joined_continuation_is_decided_as_the_shell_runs_it()
    {
        Type("r\\\rm -rf x\r");
        _commands.Should().ContainSingle();
        DevPolicy.Decide(_commands[0]).Facts.Programs.Should().Equal("rm");
    }

    [Fact]
    public void Crlf_counts_as_one_line_end()
    {
        Type("pwd\r\nls\r\n");
        _commands.Should().Equal("pwd", "ls");
    }

    [Fact]
    public void Escape_sequences_are_dropped_but_the_rest_is_decided()
    {
        Type("\u001b[200~ls\u001b[201~\u001b[A\u001bOB\r");
        _commands.Should().Equal("ls");
        Type("\u001b[201~rm -rf /\r");
        _commands[^1].Should().Be("rm -rf /");
        DevPolicy.Decide(_commands[^1]).Verdict.Should().NotBe(Verdict.Allow);
    }

    [Fact]
    public void Other_control_characters_stay_in_the_command_and_are_denied()
    {
        Type("ls\u0000x\r");
        _commands.Should().Equal("ls\0x");
        Echo.Should().Contain("^@");
        DevPolicy.Decide(_commands[0]).Verdict.Should().Be(Verdict.Deny);
    }

    [Fact]
    public void Syntax_error_is_complete_and_reported_as_typed()
    {
        Type("ls )\r");
        _commands.Should().Equal("ls )");
        DevPolicy.Decide(_commands[0]).Verdict.Should().Be(Verdict.Deny);
    }

    [Fact]
    public void Reset_forgets_partial_input()
    {
        Type("echo 'unfinished\r");
        _assembler.HasPendingInput.Should().BeTrue();
        _assembler.Reset();
        Type("pwd\r");
        _commands.Should().Equal("pwd");
    }
}
