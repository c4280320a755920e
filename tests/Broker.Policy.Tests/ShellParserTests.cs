using Broker.Policy.Commands;

namespace Broker.Policy.Tests;

public sealed class ShellParserTests
{
    private static ParsedScript Parse(string text)
    {
        var result = ShellParser.Parse(text);
        result.Error.Should().BeNull();
        return result.Script!;
    }

    private static string[][] Argvs(string text) =>
        Parse(text).Commands.Select(c => c.Words.Select(w => w.Value).ToArray()).ToArray();

    [Fact]
    public void Quote_removal_joins_quoted_and_escaped_parts_into_one_word() =>
        Argvs("r\\m ch\"m\"od 'a b'c \"x\\\"y\" 'it'\\''s'").Should().BeEquivalentTo(
            new[] { new[] { "rm", "chmod", "a bc", "x\"y", "it's" } }, o => o.WithStrictOrdering());

    [Fact]
    public void Operators_split_simple_commands() =>
        Argvs("a 1 && b || c; d | e & f\ng").Select(a => a[0]).Should().Equal("a", "b", "c", "d", "e", "f", "g");

    [Fact]
    public void Comments_and_line_continuations_are_removed() =>
        Argvs("ls \\\n -la # trailing comment").Should().BeEquivalentTo(new[] { new[] { "ls", "-la" } });

    [Fact]
    public void Leading_assignment_is_reported_and_not_a_word()
    {
        var command = Parse("A=1 B=\"x y\" env").Commands.Single();
        command.Words.Select(w => w.Value).Should().Equal("env");
        command.Constructs.Should().Contain(new Construct("assignment", "A")).And.Contain(new Construct("assignment", "B"));
    }

    [Theory]
    [InlineData("echo $(id)", "command-substitution")]
    [InlineData("echo `id`", "backtick-substitution")]
    [InlineData("echo $HOME", "parameter-expansion")]
    [InlineData("echo ${HOME}", "parameter-expansion")]
    [InlineData("echo \"$1\"", "parameter-expansion")]
    [InlineData("echo $((1+2))", "arithmetic-expansion")]
    [InlineData("cat <(ls)", "process-substitution")]
    [InlineData("ls 2>&1", "redirection")]
    [InlineData("cat <<EOF\nx\nEOF", "heredoc")]
    [InlineData("cat <<< x", "here-string")]
    [InlineData("(ls)", "subshell")]
    [InlineData("{ ls; }", "group")]
    [InlineData("f() { ls; }", "function-definition")]
    [InlineData("echo {a,b}", "brace-expansion")]
    [InlineData("echo {1..3}", "brace-expansion")]
    [InlineData("ls *.txt", "glob")]
    [InlineData("ls file?", "glob")]
    [InlineData("ls [ab]", "glob")]
    [InlineData("echo $'\\x41'", "ansi-c-string")]
    [InlineData("echo $\"x\"", "locale-string")]
    [InlineData("ls ~/x", "tilde-expansion")]
    [InlineData("a=(1 2)", "array-assignment")]
    [InlineData("if true; then ls; fi", "compound-command")]
    [InlineData("! ls", "negation")]
    [InlineData("((i++))", "arithmetic-command")]
    [InlineData("ls !!", "history-expansion")]
    [InlineData("echo \"!-1\"", "history-expansion")]
    [InlineData("a=~/x", "tilde-expansion")]
    [InlineData("ls\r", "control-character")]
    [InlineData("ls\u001b", "control-character")]
    [InlineData("ls\u007f", "control-character")]
    [InlineData("ls\0", "control-character")]
    [InlineData("ls\u200b", "unicode-format-character")]
    [InlineData("ls\u202e", "unicode-format-character")]
    [InlineData("ls\u2028", "unicode-format-character")]
    [InlineData("ls\u00a0", "unicode-space")]
    public void Construct_is_reported_by_name(string text, string construct)
    {
        var script = Parse(text);
        script.Constructs.Concat(script.Commands.SelectMany(c => c.Constructs)).Select(c => c.Name).Should().Contain(construct);
    }

    [Theory]
    [InlineData("ls 2>&1", "2>&1")]
    [InlineData("ls >/dev/null", ">/dev/null")]
    [InlineData("ls > /dev/null", ">/dev/null")]
    [InlineData("ls 2> \"/dev/null\"", "2>/dev/null")]
    [InlineData("ls &>/dev/null", "&>/dev/null")]
    [InlineData("ls >>log", ">>log")]
    [InlineData("ls | & cat", null)]
    public void Redirection_carries_its_operator_and_target(string text, string? detail)
    {
        var result = ShellParser.Parse(text);
        if (detail is null)
        {
            result.Succeeded.Should().BeFalse();
            return;
        }

        result.Script!.Commands[0].Constructs.Should().ContainSingle(c => c.Name == "redirection").Which.Detail.Should().Be(detail);
        result.Script.Commands[0].Words.Select(w => w.Value).Should().Equal("ls");
    }

    [Fact]
    public void Commands_inside_substitutions_are_parsed_too() =>
        Argvs("echo $(rm -rf x) `id`").Select(a => a[0]).Should().BeEquivalentTo("echo", "rm", "id");

    [Fact]
    public void Word_with_an_expansion_is_not_literal()
    {
        var words = Parse("$a x r$(true)m").Commands.Single(c => c.Words.Count == 3).Words;
        words[0].IsLiteral.Should().BeFalse();
        words[1].IsLiteral.Should().BeTrue();
        words[2].IsLiteral.Should().BeFalse();
    }

    [Theory]
    [InlineData("echo 'abc", true)]
    [InlineData("echo \"abc", true)]
    [InlineData("ls &&", true)]
    [InlineData("ls |", true)]
    [InlineData("ls \\", true)]
    [InlineData("echo $(ls", true)]
    [InlineData("cat <<EOF\nabc", true)]
    [InlineData("(ls", true)]
    [InlineData("ls )", false)]
    [InlineData("&& ls", false)]
    [InlineData("ls ;; x", false)]
    [InlineData("ls >", false)]
    [InlineData("ls | | x", false)]
    public void Unparsable_text_is_an_error_value(string text, bool incomplete)
    {
        var result = ShellParser.Parse(text);
        result.Succeeded.Should().BeFalse();
        result.Error.Should().NotBeNullOrEmpty();
        result.IsIncomplete.Should().Be(incomplete);
    }

    [Fact]
    public void Arithmetic_expansion_alone_is_not_a_command_substitution() =>
        Parse("echo $((1+2))").Commands.Single().Constructs.Select(c => c.Name).Should().Equal("arithmetic-expansion");

    [Fact]
    public void Substitution_inside_arithmetic_is_reported() =>
        Parse("echo $((a[$(id)]))").Commands.Single().Constructs.Select(c => c.Name).Should().Contain("command-substitution");

    [Fact]
    public void Quoted_metacharacters_are_plain_text()
    {
        var command = Parse("echo '$(x) `y` *' \"a|b;c\"").Commands.Single();
        command.Constructs.Should().BeEmpty();
        command.Words.Select(w => w.Value).Should().Equal("echo", "$(x) `y` *", "a|b;c");
    }
}
