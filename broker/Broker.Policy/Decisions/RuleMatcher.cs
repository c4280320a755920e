namespace Broker.Policy.Decisions;

/// <summary>
/// The conditions of one rule. Command matchers (programs, AWS actions, subcommands, flags, arguments) must all hold.
/// A rule with construct lists decides only those constructs (on every command, or on the commands its command
/// matchers select); a rule without them decides commands.
/// </summary>
internal sealed class RuleMatcher
{
    public GlobPattern[] Programs { get; init; } = [];

    public string[][] Subcommands { get; init; } = [];

    public string[] Flags { get; init; } = [];

    public GlobPattern[] Arguments { get; init; } = [];

    public AwsActionPattern[] AwsActions { get; init; } = [];

    /// <summary>At least this many positional arguments (0: no condition).</summary>
    public int MinPositionals { get; init; }

    public GlobPattern[] Redirections { get; init; } = [];

    public string[] Constructs { get; init; } = [];

    public bool IsCommandRule => Programs.Length > 0 || AwsActions.Length > 0;

    public bool HasConstructList => Redirections.Length > 0 || Constructs.Length > 0;

    /// <summary>Whether the rule covers a construct (by name, or a redirection by its operator and target).</summary>
    public bool Covers(Construct construct)
    {
        if (Array.IndexOf(Constructs, construct.Name) >= 0)
        {
            return true;
        }

        return construct.Name == ConstructNames.Redirection && construct.Detail is not null && GlobPattern.AnyMatch(Redirections, construct.Detail);
    }

    /// <summary>
    /// Whether the command matchers hold for <paramref name="command"/> doing <paramref name="awsAction"/>.
    /// When arguments are supplied at run time, argument conditions of deny and review rules count as met.
    /// </summary>
    public bool Matches(ResolvedCommand command, string? awsAction, Verdict action)
    {
        if (!IsCommandRule || command.Program is null)
        {
            return false;
        }

        if (Programs.Length > 0 && !GlobPattern.AnyMatch(Programs, command.Program))
        {
            return false;
        }

        if (AwsActions.Length > 0 && (command.Program != "aws" || awsAction is null || !AwsActionPattern.AnyMatch(AwsActions, awsAction)))
        {
            return false;
        }

        var assumeHidden = command.HasHiddenArguments && action != Verdict.Allow;
        if (Subcommands.Length > 0 && !assumeHidden && !MatchesSubcommand(command.Positionals))
        {
            return false;
        }

        if (Flags.Length > 0 && !assumeHidden && !MatchesFlag(command.Flags))
        {
            return false;
        }

        if (MinPositionals > 0 && !assumeHidden && command.Positionals.Count < MinPositionals)
        {
            return false;
        }

        if (Arguments.Length > 0 && !assumeHidden && !MatchesArgument(command.Arguments))
        {
            return false;
        }

        return true;
    }

    private bool MatchesSubcommand(List<string> positionals)
    {
        foreach (var path in Subcommands)
        {
            if (positionals.Count < path.Length)
            {
                continue;
            }

            var matched = true;
            for (var i = 0; i < path.Length && matched; i++)
            {
                matched = positionals[i] == path[i];
            }

            if (matched)
            {
                return true;
            }
        }

        return false;
    }

    private bool MatchesFlag(HashSet<string> flags)
    {
        foreach (var flag in Flags)
        {
            if (flags.Contains(flag))
            {
                return true;
            }
        }

        // GNU programs accept any unambiguous prefix of a long option (--compress-prog means --compress-program).
        foreach (var used in flags)
        {
            if (used.Length < 3 || !used.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var flag in Flags)
            {
                if (flag.StartsWith("--", StringComparison.Ordinal) && flag.StartsWith(used, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private bool MatchesArgument(IReadOnlyList<string> arguments)
    {
        foreach (var argument in arguments)
        {
            if (GlobPattern.AnyMatch(Arguments, argument))
            {
                return true;
            }
        }

        return false;
    }
}
