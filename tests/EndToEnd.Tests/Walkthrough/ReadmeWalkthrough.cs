using System.Text.RegularExpressions;

namespace EndToEnd.Tests.Walkthrough;

/// <summary>One command line of the README's walk-through and the terminal it is typed in (1, 2 or 3, from the <c>&lt;!-- terminal N --&gt;</c> comment before its block).</summary>
public sealed record WalkthroughLine(int Terminal, string Text);

/// <summary>
/// The commands of README.md's "A five-minute walk-through", in order, exactly as written: the
/// test runs these, so the README cannot drift from what works.
/// </summary>
public static partial class ReadmeWalkthrough
{
    private const string Section = "## A five-minute walk-through";

    public static IReadOnlyList<WalkthroughLine> Read(string readmePath)
    {
        var text = File.ReadAllText(readmePath);
        var start = text.IndexOf(Section, StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"README.md has no '{Section}' section");
        }

        var end = text.IndexOf("\n## ", start + Section.Length, StringComparison.Ordinal);
        var section = end < 0 ? text[start..] : text[start..end];
        var lines = new List<WalkthroughLine>();
        foreach (Match block in CodeBlock().Matches(section))
        {
            var terminal = block.Groups["terminal"].Success ? int.Parse(block.Groups["terminal"].Value, System.Globalization.CultureInfo.InvariantCulture) : 2;
            foreach (var line in block.Groups["code"].Value.Split('\n'))
            {
                if (line.TrimEnd().EndsWith('\\'))
                {
                    throw new InvalidOperationException($"the walk-through test types one line at a time; join this continued line: {line}");
                }

                if (line.Trim().Length > 0)
                {
                    lines.Add(new WalkthroughLine(terminal, line.TrimEnd()));
                }
            }
        }

        return lines;
    }

    [GeneratedRegex(@"(?:<!-- terminal (?<terminal>\d) -->\s*\n)?```sh\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
