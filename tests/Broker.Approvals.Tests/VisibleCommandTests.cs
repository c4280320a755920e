namespace Broker.Approvals.Tests;

/// <summary>What an approver sees of a command: nothing hidden, nothing that looks like something else.</summary>
public sealed class VisibleCommandTests
{
    [Theory]
    [InlineData("rm a", "rm a")]
    [InlineData("rm a\nrm -rf /", @"rm a\nrm -rf /")]
    [InlineData("echo \u001b[2Kok", @"echo \e[2Kok")]
    [InlineData("rm \u202Efdp.exe", @"rm \u{202e}fdp.exe")]
    [InlineData("rm a\u200Bb", @"rm a\u{200b}b")]
    [InlineData("cat /etc/p\u0430sswd", @"cat /etc/p\u{0430}sswd")]
    [InlineData("printf '\\n'", @"printf '\\n'")]
    [InlineData("a\u0007\u007fb", @"a\x07\x7fb")]
    [InlineData("emoji \U0001F600", @"emoji \u{1f600}")]
    public void Every_character_outside_printable_ASCII_is_shown_by_its_code_point(string command, string shown) =>
        VisibleCommand.Render(command).Should().Be(shown);

    [Fact]
    public void A_literal_backslash_sequence_and_a_real_newline_look_different() =>
        VisibleCommand.Render("a\\nb").Should().NotBe(VisibleCommand.Render("a\nb"));

    [Fact]
    public void Warnings_name_what_is_hidden()
    {
        VisibleCommand.Warnings("rm a").Should().BeEmpty();
        VisibleCommand.Warnings("rm \u202Ex").Should().ContainSingle().Which.Should().Contain("bidirectional");
        VisibleCommand.Warnings("rm a\u200Bb").Should().ContainSingle().Which.Should().Contain("zero-width");
        VisibleCommand.Warnings("cat p\u0430ss").Should().ContainSingle().Which.Should().Contain("non-ASCII");
        VisibleCommand.Warnings("a\u001bb").Should().ContainSingle().Which.Should().Contain("control");
    }
}
