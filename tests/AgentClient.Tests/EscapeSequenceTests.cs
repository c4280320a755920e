using System.Buffers;
using System.Text;
using AgentClient.Terminal;

namespace AgentClient.Tests;

public sealed class EscapeSequenceTests
{
    private readonly EscapeSequence _escape = new((byte)'~');
    private readonly ArrayBufferWriter<byte> _forward = new();

    /// <summary>Feeds the keys one call at a time (as a terminal delivers them) and collects what is sent and what the client is told to do.</summary>
    private (string Sent, List<EscapeCommand> Commands) Type(params string[] bursts)
    {
        var commands = new List<EscapeCommand>();
        foreach (var burst in bursts)
        {
            ReadOnlySpan<byte> keys = Encoding.ASCII.GetBytes(burst);
            while (!keys.IsEmpty)
            {
                var (command, consumed) = _escape.Process(keys, _forward);
                keys = keys[consumed..];
                if (command != EscapeCommand.None)
                {
                    commands.Add(command);
                }
            }
        }

        return (Encoding.ASCII.GetString(_forward.WrittenSpan), commands);
    }

    [Fact]
    public void Tilde_dot_at_the_start_of_the_session_disconnects_and_sends_nothing()
    {
        var (sent, commands) = Type("~.");

        sent.Should().BeEmpty();
        commands.Should().Equal(EscapeCommand.Disconnect);
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    public void Tilde_dot_right_after_enter_disconnects(string enter)
    {
        var (sent, commands) = Type("ls" + enter, "~", ".");

        sent.Should().Be("ls" + enter);
        commands.Should().Equal(EscapeCommand.Disconnect);
    }

    [Fact]
    public void Tilde_dot_inside_a_line_is_plain_text()
    {
        var (sent, commands) = Type("echo a~.b\r");

        sent.Should().Be("echo a~.b\r");
        commands.Should().BeEmpty();
    }

    [Fact]
    public void Two_tildes_send_one_and_end_the_line_start()
    {
        var (sent, commands) = Type("~~.");

        sent.Should().Be("~.");
        commands.Should().BeEmpty();
    }

    [Fact]
    public void A_tilde_followed_by_another_key_sends_both()
    {
        var (sent, commands) = Type("~", "x");

        sent.Should().Be("~x");
        commands.Should().BeEmpty();
    }

    [Fact]
    public void Help_and_suspend_are_recognized_and_the_line_start_survives_them()
    {
        var (sent, commands) = Type("\r~?~\u001a~.");

        sent.Should().Be("\r");
        commands.Should().Equal(EscapeCommand.Help, EscapeCommand.Suspend, EscapeCommand.Disconnect);
    }

    [Fact]
    public void Control_keys_pass_through_untouched()
    {
        var (sent, commands) = Type("\u0003\u001a\u001c\u001b[A");

        sent.Should().Be("\u0003\u001a\u001c\u001b[A");
        commands.Should().BeEmpty();
    }

    [Fact]
    public void Another_escape_character_can_be_chosen()
    {
        var escape = new EscapeSequence((byte)'%');
        var forward = new ArrayBufferWriter<byte>();

        escape.Process("~."u8, forward).Command.Should().Be(EscapeCommand.None);
        escape.Process("\r%."u8, forward).Command.Should().Be(EscapeCommand.Disconnect);
        escape.Help.Should().Contain("%.");
    }
}
