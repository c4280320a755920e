using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Broker.Policy.Commands;

namespace Broker.Policy.Tests;

/// <summary>Where our parser accepts a script without constructs, its argv must equal shfmt's syntax tree after quote removal.</summary>
public sealed class ShfmtDifferentialTests
{
    private const string Shfmt = "/usr/bin/shfmt";

    public static TheoryData<string> Corpus => new()
    {
        "ls",
        "ls -la /tmp",
        "echo 'a b' \"c d\" e\\ f",
        "r\\m x",
        "ch\"m\"od 644 f",
        "r''m x",
        "echo \"a\\\"b\" 'c'\\''d'",
        "echo \"back\\\\slash\" \"keep\\q\"",
        "grep -E 'x|y' f | sort | uniq -c",
        "a && b || c; d",
        "a & b",
        "ls\npwd\n\nwhoami",
        "echo one # comment",
        "ls \\\n -l",
        "echo \"multi\nline\"",
        "printf '%s\\n' x",
        "echo ''",
        "echo \"\"",
        "echo a\"\"b",
        "echo '#not a comment' x#y",
        "find . -name x -print",
        "cut -d: -f1 /etc/passwd",
        "echo =a a=b",
        "echo \\$HOME \\`x\\`",
        "echo \"\\$HOME\"",
        "echo [ ] ]",
        "test -f x && echo yes",
        "echo a\\\\b",
        "echo \"tab\there\"",
        "echo {}",
        "echo a{b",
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Our_argv_equals_shfmt_after_quote_removal(string script)
    {
        var ours = ShellParser.Parse(script);
        ours.Succeeded.Should().BeTrue(ours.Error);
        ours.Script!.Constructs.Should().BeEmpty();
        ours.Script.Commands.SelectMany(c => c.Constructs).Should().BeEmpty();
        var ourArgvs = ours.Script.Commands.Select(c => c.Words.Select(w => w.Value).ToList()).ToList();

        var theirs = RunShfmt(script);
        theirs.Should().BeEquivalentTo(ourArgvs, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Shfmt_sees_the_same_commands_our_parser_splits_out()
    {
        var script = "ls && rm x; pwd | wc -l";
        RunShfmt(script).Select(a => a[0]).Should().Equal(
            ShellParser.Parse(script).Script!.Commands.Select(c => c.Words[0].Value));
    }

    [Fact]
    public void Random_scripts_we_accept_as_plain_have_shfmt_argv()
    {
        // Deterministic fuzzing: every script we accept without constructs must be plain commands to shfmt too.
        // No '#': shfmt starts a comment at '#' right after a closing quote, bash does not (see the test below).
        const string alphabet = "ab -'\"\\;|&\n=$(){},.*~!x<>?\t`:@+%^";
        var random = new Random(4);
        var checkedScripts = 0;
        for (var i = 0; i < 3000 && checkedScripts < 150; i++)
        {
            var length = random.Next(1, 14);
            var text = new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var ours = ShellParser.Parse(text);
            if (!ours.Succeeded || ours.Script!.Constructs.Count > 0 || ours.Script.Commands.Any(c => c.Constructs.Count > 0))
            {
                continue;
            }

            checkedScripts++;
            var expected = ours.Script.Commands.Select(c => c.Words.Select(w => w.Value).ToList()).ToList();
            RunShfmt(text).Should().BeEquivalentTo(expected, o => o.WithStrictOrdering(), "script {0}", JsonSerializer.Serialize(text));
        }

        checkedScripts.Should().BeGreaterThan(50);
    }

    [Fact]
    public void Hash_right_after_a_quote_is_literal_as_bash_reads_it()
    {
        var words = ShellParser.Parse("printf '[%s]' a\"b\"#c").Script!.Commands.Single().Words.Select(w => w.Value);
        words.Should().Equal("printf", "[%s]", "ab#c");

        var start = new ProcessStartInfo("/bin/bash", ["-c", "printf '[%s]' a\"b\"#c"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEnd();
        bash.WaitForExit(30_000).Should().BeTrue();
        output.Should().Be("[ab#c]");
    }

    private static List<List<string>> RunShfmt(string script)
    {
        var start = new ProcessStartInfo(Shfmt, "--to-json")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(30_000).Should().BeTrue();
        process.ExitCode.Should().Be(0, "shfmt rejects {0}: {1}", JsonSerializer.Serialize(script), process.StandardError.ReadToEnd());

        using var json = JsonDocument.Parse(output);
        var argvs = new List<List<string>>();
        if (!json.RootElement.TryGetProperty("Stmts", out var statements))
        {
            return argvs;
        }

        foreach (var statement in statements.EnumerateArray())
        {
            if (!statement.TryGetProperty("Cmd", out var command))
            {
                throw new InvalidOperationException($"shfmt sees a statement without a command in {JsonSerializer.Serialize(script)}");
            }

            CollectCommands(command, argvs, script);
        }

        return argvs;
    }

    private static void CollectCommands(JsonElement command, List<List<string>> argvs, string script)
    {
        switch (command.GetProperty("Type").GetString())
        {
            case "BinaryCmd":
                CollectCommands(command.GetProperty("X").GetProperty("Cmd"), argvs, script);
                CollectCommands(command.GetProperty("Y").GetProperty("Cmd"), argvs, script);
                break;
            case "CallExpr":
                argvs.Add(command.GetProperty("Args").EnumerateArray().Select(w => WordValue(w, script)).ToList());
                break;
            default:
                throw new InvalidOperationException($"unexpected node {command.GetProperty("Type").GetString()} in {JsonSerializer.Serialize(script)}");
        }
    }

    private static string WordValue(JsonElement word, string script)
    {
        var builder = new StringBuilder();
        foreach (var part in word.GetProperty("Parts").EnumerateArray())
        {
            AppendPart(part, builder, inDoubleQuotes: false, script);
        }

        return builder.ToString();
    }

    private static void AppendPart(JsonElement part, StringBuilder builder, bool inDoubleQuotes, string script)
    {
        switch (part.GetProperty("Type").GetString())
        {
            case "Lit":
                builder.Append(RemoveBackslashes(StringProperty(part, "Value"), inDoubleQuotes));
                break;
            case "SglQuoted":
                builder.Append(StringProperty(part, "Value"));
                break;
            case "DblQuoted":
                if (!part.TryGetProperty("Parts", out var parts))
                {
                    break;
                }

                foreach (var inner in parts.EnumerateArray())
                {
                    AppendPart(inner, builder, inDoubleQuotes: true, script);
                }

                break;
            default:
                throw new InvalidOperationException($"unexpected word part {part.GetProperty("Type").GetString()} in {JsonSerializer.Serialize(script)}");
        }
    }

    // shfmt omits empty fields from its JSON.
    private static string StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() ?? string.Empty : string.Empty;

    // shfmt keeps backslashes in literals; quote removal drops them (inside double quotes only before $ ` " \ newline).
    private static string RemoveBackslashes(string literal, bool inDoubleQuotes)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < literal.Length; i++)
        {
            if (literal[i] == '\\' && i + 1 < literal.Length)
            {
                var next = literal[i + 1];
                if (next == '\n')
                {
                    i++;
                    continue;
                }

                if (!inDoubleQuotes || next is '$' or '`' or '"' or '\\')
                {
                    builder.Append(next);
                    i++;
                    continue;
                }
            }

            builder.Append(literal[i]);
        }

        return builder.ToString();
    }
}
