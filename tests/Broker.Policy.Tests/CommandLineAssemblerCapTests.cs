using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace Broker.Policy.Tests;

/// <summary>The line editor keeps one command up to <see cref="CommandLineAssembler.MaxCommandBytes"/>; past that it refuses it whole.</summary>
public sealed class CommandLineAssemblerCapTests
{
    private const int Max = CommandLineAssembler.MaxCommandBytes;

    private readonly CommandLineAssembler _assembler = new();
    private readonly ArrayBufferWriter<byte> _echo = new();
    private readonly List<string> _commands = [];

    private int Type(string keys) => _assembler.Feed(Encoding.UTF8.GetBytes(keys), _echo, _commands);

    private string Echo => Encoding.UTF8.GetString(_echo.WrittenSpan);

    [Fact]
    public void A_command_of_exactly_the_cap_with_its_line_end_is_kept_whole()
    {
        var text = "echo " + new string('a', Max - "echo ".Length - 1);

        Type(text + "\r").Should().Be(0);

        _commands.Should().Equal(text);
    }

    [Fact]
    public void A_line_past_the_cap_is_refused_whole_and_the_rest_of_the_line_never_becomes_a_command()
    {
        var cut = Type("echo " + new string('a', Max) + "; rm -rf /tmp/x\r");

        cut.Should().Be(1);
        _commands.Should().BeEmpty("no part of a cut line may be taken for the whole");
        Echo.Should().Contain($"longer than {Max} bytes and is refused");
        _echo.WrittenCount.Should().BeLessThan(Max + 200, "what follows the cap is dropped, not echoed");
        _assembler.HasPendingInput.Should().BeFalse();

        Type("ls\r").Should().Be(0);
        _commands.Should().Equal("ls");
    }

    [Fact]
    public void Keys_fed_one_chunk_at_a_time_are_cut_at_the_same_place_and_held_no_longer()
    {
        var chunk = new string('b', 64 * 1024);
        var cuts = 0;
        for (var i = 0; i < Max / chunk.Length + 4; i++)
        {
            cuts += Type(chunk);
            _assembler.HasPendingInput.Should().BeTrue();
        }

        cuts += Type("\r");

        cuts.Should().Be(1);
        _commands.Should().BeEmpty();
        Regex.Count(Echo, "is refused").Should().Be(1, "the refusal is said once per command");
    }

    [Fact]
    public void Empty_continuation_lines_count_toward_the_cap()
    {
        Type("echo '").Should().Be(0);
        // The line ends alone take the open quote past the cap: the last of these is one byte too many.
        var cut = Type(new string('\r', Max - "echo '".Length + 1));

        cut.Should().Be(1);
        _commands.Should().BeEmpty();
        _assembler.HasPendingInput.Should().BeFalse();
    }

    [Fact]
    public void Ctrl_c_while_a_line_is_being_cut_starts_afresh()
    {
        Type(new string('c', Max + 10));

        Type("\u0003pwd\r").Should().Be(0);

        _commands.Should().Equal("pwd");
    }
}
