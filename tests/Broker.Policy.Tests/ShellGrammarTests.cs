using Broker.Policy.Commands;

namespace Broker.Policy.Tests;

/// <summary>The parser follows bash's grammar where the issue found it did not.</summary>
public sealed class ShellGrammarTests
{
    private static ParsedScript Parse(string text)
    {
        var result = ShellParser.Parse(text);
        result.Error.Should().BeNull();
        return result.Script!;
    }

    [Theory]
    [InlineData("cat /x/.ss[h' ']/id_rsa")]
    [InlineData("cat /proc/self/envi[r\\ ]on")]
    [InlineData("cat a[\"b\"]")]
    public void Bracket_closed_after_a_quoted_character_is_a_glob(string text)
    {
        var word = Parse(text).Commands.Single().Words[1];
        word.IsLiteral.Should().BeFalse();
        Parse(text).Commands.Single().Constructs.Select(c => c.Name).Should().Contain("glob");
    }

    [Theory]
    [InlineData("ls {X}>/dev/null", "{X}")]
    [InlineData("exec {fd}<README.md", "{fd}")]
    public void Braced_name_before_a_redirection_is_its_descriptor_variable(string text, string descriptor)
    {
        var command = Parse(text).Commands.Single();
        command.Redirects.Single().Descriptor.Should().Be(descriptor);
        command.Words.Select(w => w.Value).Should().NotContain(descriptor);
    }

    [Theory]
    [InlineData("if true; then ls", "fi")]
    [InlineData("for f in a b; do", "done")]
    [InlineData("while read x; do echo $x", "done")]
    [InlineData("case $x in a)", "esac")]
    [InlineData("{ ls", "}")]
    [InlineData("(ls", ")")]
    [InlineData("cat <<EOF\nx", "EOF")]
    [InlineData("[[ -f x", null)]
    [InlineData("echo 'open", "'")]
    [InlineData("ls &&", null)]
    [InlineData("ls \\", null)]
    public void Unfinished_compound_command_is_incomplete_and_says_what_closes_it(string text, string? awaiting)
    {
        var result = ShellParser.Parse(text);
        result.IsIncomplete.Should().BeTrue(result.Error);
        result.Awaiting.Should().Be(awaiting);
    }

    [Theory]
    [InlineData("fi")]
    [InlineData("done")]
    [InlineData("then ls")]
    [InlineData("if true; fi")]
    [InlineData("for 'a[$(x)]' in 1; do :; done")]
    public void Reserved_word_out_of_place_is_an_error(string text)
    {
        var result = ShellParser.Parse(text);
        result.Succeeded.Should().BeFalse();
        result.IsIncomplete.Should().BeFalse();
    }

    [Fact]
    public void Commands_of_every_part_of_a_compound_command_are_decided()
    {
        var programs = Parse("if test -f a; then cat a; elif ls; then :; else echo b; fi; while read l; do wc -l; done; case x in y|z) rm q ;; esac")
            .Commands.Where(c => !c.IsWordList).Select(c => c.Words[0].Value);
        programs.Should().Equal("test", "cat", "ls", ":", "echo", "read", "wc", "rm");
    }

    [Fact]
    public void Brace_expansion_becomes_its_words() =>
        Parse("ls src/{main,util}.c x{1..3}").Commands.Single().Words.Select(w => w.Value).Should().Equal("ls", "src/main.c", "src/util.c", "x1", "x2", "x3");

    [Fact]
    public void Substitutions_inside_parameter_expansions_are_parsed() =>
        Parse("echo \"${x:-$(rm a)}\" ${y#`rm b`}").Commands.Select(c => c.Words[0].Value).Should().Contain(["rm", "rm"]);

    [Fact]
    public void Conditional_words_are_not_split_and_regex_parentheses_stay_in_the_word()
    {
        var command = Parse("[[ $x =~ ^(a|b)$ && -f y ]]").Commands.Single();
        command.Words.Select(w => w.Value).Should().Equal("[[", "$x", "=~", "^(a|b)$", "&&", "-f", "y", "]]");
        command.Words.Should().OnlyContain(w => !w.MaySplit);
    }

    [Fact]
    public void Time_keyword_takes_only_p_and_is_not_a_program()
    {
        Parse("time -p ls").Commands.Single().Words.Select(w => w.Value).Should().Equal("ls");
        Parse("time -o F true").Commands.Single().Words[0].Value.Should().Be("-o", "bash runs '-o' as the command");
    }
}
