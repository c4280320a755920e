namespace Broker.Policy.Decisions;

/// <summary>One program invocation after wrapper unwrapping: the resolved program name and its arguments.</summary>
internal sealed class ResolvedCommand
{
    private HashSet<string>? _flags;
    private List<string>? _positionals;

    public ResolvedCommand(string? program, string programWord, IReadOnlyList<string> arguments, bool hiddenArguments)
    {
        Program = program;
        ProgramWord = programWord;
        Arguments = arguments;
        HasHiddenArguments = hiddenArguments;
    }

    /// <summary>The basename the rules see, or null when the program cannot be resolved.</summary>
    public string? Program { get; }

    /// <summary>The program word as written.</summary>
    public string ProgramWord { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>True when arguments are supplied at run time (by <c>xargs</c>) and cannot be seen.</summary>
    public bool HasHiddenArguments { get; }

    public IReadOnlyList<string> AwsActions { get; set; } = [];

    /// <summary>Every flag: <c>--long</c> without its value, each letter of <c>-abc</c> as <c>-a</c>…, and the token itself.</summary>
    public HashSet<string> Flags => _flags ??= ComputeFlags();

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
