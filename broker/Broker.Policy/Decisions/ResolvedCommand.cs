using Broker.Policy.Catalog;
using Broker.Policy.Commands;

namespace Broker.Policy.Decisions;

/// <summary>One program invocation after wrapper unwrapping: the resolved program, its argument words and what they do.</summary>
internal sealed class ResolvedCommand
{
    private HashSet<string>? _flags;
    private List<string>? _positionals;

    public ResolvedCommand(string? program, string programWord, IReadOnlyList<ShellWord> words, bool hiddenArguments)
    {
        Program = program;
        ProgramWord = programWord;
        Words = words;
        var arguments = new string[words.Count];
        for (var i = 0; i < words.Count; i++)
        {
            arguments[i] = words[i].Value;
        }

        Arguments = arguments;
        HasHiddenArguments = hiddenArguments;
    }

    /// <summary>The basename the rules see, or null when the program cannot be resolved.</summary>
    public string? Program { get; }

    /// <summary>The program word as written.</summary>
    public string ProgramWord { get; }

    /// <summary>The argument words (what each may expand to).</summary>
    public IReadOnlyList<ShellWord> Words { get; }

    /// <summary>The argument words as written (quotes removed).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>True when arguments are supplied at run time (by <c>xargs</c>) and cannot be seen.</summary>
    public bool HasHiddenArguments { get; }

    /// <summary>True when some argument's value is unknown (an expansion, a glob).</summary>
    public bool HasUnknownArguments => Words.Any(w => !w.IsLiteral);

    public IReadOnlyList<string> AwsActions { get; set; } = [];

    /// <summary>The AWS actions of the command that print a secret or mint a credential.</summary>
    public IReadOnlyList<string> SecretActions { get; set; } = [];

    /// <summary>What the arguments mean under the program catalog.</summary>
    public InterpretedArguments Interpretation { get; set; } = new();

    /// <summary>Every flag: <c>--long</c> without its value, each letter of <c>-abc</c> as <c>-a</c>…, and the token itself.</summary>
    public HashSet<string> Flags => _flags ??= ComputeFlags();

    /// <summary>The literal arguments that are not options (an unknown word counts as its text).</summary>
    public List<string> Positionals => _positionals ??= ComputePositionals();

    private HashSet<string> ComputeFlags()
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in Arguments)
        {
            if (argument == "--")
            {
                break;
            }

            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = argument.IndexOf('=', StringComparison.Ordinal);
                flags.Add(equals < 0 ? argument : argument[..equals]);
            }
            else if (argument.Length > 1 && argument[0] == '-')
            {
                flags.Add(argument);
                for (var i = 1; i < argument.Length; i++)
                {
                    flags.Add(string.Concat("-", argument.AsSpan(i, 1)));
                }
            }
        }

        return flags;
    }

    private List<string> ComputePositionals()
    {
        var positionals = new List<string>();
        var afterDashDash = false;
        foreach (var argument in Arguments)
        {
            if (!afterDashDash && argument == "--")
            {
                afterDashDash = true;
            }
            else if (afterDashDash || argument.Length < 2 || argument[0] != '-')
            {
                positionals.Add(argument);
            }
        }

        return positionals;
    }
}
