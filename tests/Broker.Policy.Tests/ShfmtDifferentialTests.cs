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
        process.ExitCode.Should().Be(0, process.StandardError.ReadToEnd());

        using var json = JsonDocument.Parse(output);
        var argvs = new List<List<string>>();
        foreach (var stmt in json.RootElement.GetProperty("Stmts").EnumerateArray())
        {
            CollectCommands(stmt.GetProperty("Cmd"), argvs);
        }

        return argvs;
    }

    private static void CollectCommands(JsonElement command, List<List<string>> argvs)
    {
        switch (command.GetProperty("Type").GetString())
        {
            case "BinaryCmd":
                CollectCommands(command.GetProperty("X").GetProperty("Cmd"), argvs);
                CollectCommands(command.GetProperty("Y").GetProperty("Cmd"), argvs);
                break;
            case "CallExpr":
                argvs.Add(command.GetProperty("Args").EnumerateArray().Select(WordValue).ToList());
                break;
            default:
                throw new InvalidOperationException("unexpected node " + command.GetProperty("Type").GetString());
        }
    }

    private static string WordValue(JsonElement word)
    {
        var builder = new StringBuilder();
        foreach (var part in word.GetProperty("Parts").EnumerateArray())
        {
            AppendPart(part, builder, inDoubleQuotes: false);
        }

        return builder.ToString();
    }

    private static void AppendPart(JsonElement part, StringBuilder builder, bool inDoubleQuotes)
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
                    AppendPart(inner, builder, inDoubleQuotes: true);
                }

                break;
            default:
                throw new InvalidOperationException("unexpected word part " + part.GetProperty("Type").GetString());
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
