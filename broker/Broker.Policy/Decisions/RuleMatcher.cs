using Broker.Policy.Catalog;
using Broker.Policy.Commands;
using Broker.Policy.Patterns;

namespace Broker.Policy.Decisions;

/// <summary>
/// The conditions of one rule. Command matchers (programs, AWS actions, effects, subcommands, flags, arguments) must
/// all hold. A rule with construct lists decides only those constructs (on every command, or on the commands its
/// command matchers select); a rule without them decides commands. A deny or review rule's conditions hold when
/// they <em>may</em> hold: an argument whose value is unknown may be the flag, the argument or the subcommand it
/// lists. An allow rule's conditions must hold for certain.
/// </summary>
internal sealed class RuleMatcher
{
    /// <summary>The names the <c>effects:</c> matcher accepts.</summary>
    public static readonly string[] EffectNames = ["reads", "writes", "lists", "recurses", "runs", "changes", "reveals-secret"];

    public GlobPattern[] Programs { get; init; } = [];

    // Built on first use from Programs (init-only); a race builds two equal sets, either of which is right.
    private GlobSet? _programSet;

    public string[][] Subcommands { get; init; } = [];

    public string[] Flags { get; init; } = [];

    public GlobPattern[] Arguments { get; init; } = [];

    public AwsActionPattern[] AwsActions { get; init; } = [];

    /// <summary>Effects (what the command may do, from the program catalog), any of which must be present.</summary>
    public string[] Effects { get; init; } = [];

    /// <summary>At least this many positional arguments (0: no condition).</summary>
    public int MinPositionals { get; init; }

    public RedirectionPattern[] Redirections { get; init; } = [];

    public string[] Constructs { get; init; } = [];

    public bool IsCommandRule => Programs.Length > 0 || AwsActions.Length > 0 || Effects.Length > 0;

    public bool HasConstructList => Redirections.Length > 0 || Constructs.Length > 0;

    /// <summary>Whether the rule covers a construct (by name, or a redirection by its operator and target).</summary>
    public bool Covers(Construct construct)
    {
        if (Array.IndexOf(Constructs, construct.Name) >= 0)
        {
            return true;
        }

        return construct.Name == ConstructNames.Redirection && construct.Detail is not null && RedirectionPattern.AnyMatch(Redirections, construct.Detail);
    }

    /// <summary>
    /// Whether the command matchers hold for <paramref name="command"/> doing <paramref name="awsAction"/>. For a deny
    /// or review rule they hold when they may (unknown words, arguments supplied at run time by <c>xargs</c>).
    /// </summary>
    public bool Matches(ResolvedCommand command, string? awsAction, Verdict action)
    {
        if (!IsCommandRule || command.Program is null)
        {
            return false;
        }

        if (Programs.Length > 0 && !(_programSet ??= new GlobSet(Programs)).IsMatch(command.Program))
        {
            return false;
        }

        if (AwsActions.Length > 0 && (command.Program != "aws" || awsAction is null || !AwsActionPattern.AnyMatch(AwsActions, awsAction)))
        {
            return false;
        }

        if (Effects.Length > 0 && !HasEffect(command))
        {
            return false;
        }

        var may = action != Verdict.Allow;
        var hidden = command.HasHiddenArguments && may;
        if (Subcommands.Length > 0 && !hidden && !MatchesSubcommand(command, may))
        {
            return false;
        }

        if (Flags.Length > 0 && !hidden && !MatchesFlag(command.Flags) && !(may && MayBeFlag(command)))
        {
            return false;
        }

        if (MinPositionals > 0 && !hidden && PositionalCount(command, may) < MinPositionals)
        {
            return false;
        }

        if (Arguments.Length > 0 && !hidden && !MatchesArgument(command, may))
        {
            return false;
        }

        return true;
    }

    private bool HasEffect(ResolvedCommand command)
    {
        foreach (var effect in Effects)
        {
            if (effect == "reveals-secret" ? command.SecretActions.Count > 0 : HasEffectNamed(command, effect))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasEffectNamed(ResolvedCommand command, string name)
    {
        foreach (var effect in command.Interpretation.Effects)
        {
            if (ArgumentKinds.Name(effect.Kind) == name)
            {
                return true;
            }
        }

        return false;
    }

    private bool MatchesSubcommand(ResolvedCommand command, bool may)
    {
        var words = PositionalWords(command);
        foreach (var path in Subcommands)
        {
            var matched = true;
            for (var i = 0; i < path.Length && matched; i++)
            {
                if (i >= words.Count)
                {
                    matched = false;
                }
                else if (!words[i].IsLiteral)
                {
                    // An unknown word may be this subcommand (or shift the ones after it): certain only for deny/review.
                    matched = may;
                    if (may)
                    {
                        break;
                    }
                }
                else
                {
                    matched = words[i].Value == path[i];
                }
            }

            if (matched)
            {
                return true;
            }
        }

        return false;
    }

    private static List<ShellWord> PositionalWords(ResolvedCommand command)
    {
        var positionals = new List<ShellWord>();
        var afterDashDash = false;
        foreach (var word in command.Words)
        {
            if (!afterDashDash && word.IsLiteral && word.Value == "--")
            {
                afterDashDash = true;
            }
            else if (afterDashDash || !word.IsLiteral || word.Value.Length < 2 || word.Value[0] != '-')
            {
                positionals.Add(word);
            }
        }

        return positionals;
    }

    private static int PositionalCount(ResolvedCommand command, bool may)
    {
        var count = 0;
        foreach (var word in PositionalWords(command))
        {
            if (word.IsLiteral)
            {
                count++;
            }
            else if (may)
            {
                // An unknown word may be any number of operands.
                return int.MaxValue;
            }
            else if (!word.MaySplit && !word.MayBeOption)
            {
                count++;
            }
        }

        return count;
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

    /// <summary>Whether a word whose value is unknown could be one of the listed flags.</summary>
    private bool MayBeFlag(ResolvedCommand command)
    {
        foreach (var word in command.Words)
        {
            if (word.IsLiteral || !word.MayBeOption)
            {
                continue;
            }

            var prefix = TextPattern.LiteralPrefix(word.Pattern);
            foreach (var flag in Flags)
            {
                if (prefix.Length <= 1 || flag.AsSpan().StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(flag, StringComparison.Ordinal)
                    || (!prefix.StartsWith("--", StringComparison.Ordinal) && flag.Length == 2))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private bool MatchesArgument(ResolvedCommand command, bool may)
    {
        foreach (var word in command.Words)
        {
            if (word.IsLiteral)
            {
                if (GlobPattern.AnyMatch(Arguments, word.Value))
                {
                    return true;
                }

                continue;
            }

            if (may && Arguments.Any(glob => PatternIntersection.Intersects(word.Pattern, glob.AsTextPattern)))
            {
                return true;
            }
        }

        return false;
    }
}
