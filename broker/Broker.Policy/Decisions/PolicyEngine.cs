using Broker.Policy.Commands;
using Broker.Policy.Decisions;

namespace Broker.Policy;

/// <summary>
/// Decides commands under a set of roles: parse, unwrap, resolve, then match every simple command against the
/// role's rules. A line's verdict is the strictest over its commands and constructs; with several roles the most
/// permissive role's verdict applies. Unknown programs get the role's default; unallowed constructs are denied.
/// The engine holds no mutable state: one instance serves every session and thread.
/// </summary>
public sealed class PolicyEngine
{
    private readonly CommandUnwrapper _unwrapper;

    /// <summary>Creates an engine for a loaded policy (it uses the policy's system directories).</summary>
    public PolicyEngine(PolicyDocument policy)
        : this(policy?.SystemDirectories ?? throw new ArgumentNullException(nameof(policy)))
    {
    }

    internal PolicyEngine(IReadOnlySet<string> systemDirectories)
    {
        _unwrapper = new CommandUnwrapper(systemDirectories);
    }

    /// <summary>Decides <paramref name="command"/> under <paramref name="roles"/> (normally the roles granting the target).</summary>
    public Decision Decide(IReadOnlyList<RoleDefinition> roles, CommandInput command)
    {
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(command);
        var analysis = Analyze(command);
        if (roles.Count == 0)
        {
            return new Decision(Verdict.Deny, null, "no role applies to this identity", null, analysis.Facts);
        }

        Decision? best = null;
        foreach (var role in roles)
        {
            var decision = DecideForRole(role, analysis);
            if (best is null || decision.Verdict < best.Verdict)
            {
                best = decision;
            }
        }

        return best!;
    }

    internal AnalyzedCommand Analyze(CommandInput command)
    {
        var units = new List<CommandUnit>();
        IReadOnlyList<Construct> lineConstructs = [];
        if (command.IsArgv)
        {
            if (command.Arguments!.Count == 0)
            {
                return new AnalyzedCommand([], [], "the argv is empty", new DecisionFacts([], [], []));
            }

            _unwrapper.Unwrap(SimpleCommand.FromArgv(command.Arguments), units);
        }
        else
        {
            var parsed = ShellParser.Parse(command.Text!);
            if (!parsed.Succeeded)
            {
                return new AnalyzedCommand([], [], parsed.Error, new DecisionFacts([], [], []));
            }

            lineConstructs = parsed.Script!.Constructs;
            foreach (var simple in parsed.Script.Commands)
            {
                _unwrapper.Unwrap(simple, units);
            }
        }

        return new AnalyzedCommand(units, lineConstructs, null, CollectFacts(units, lineConstructs));
    }

    private static DecisionFacts CollectFacts(List<CommandUnit> units, IReadOnlyList<Construct> lineConstructs)
    {
        var programs = new List<string>();
        var actions = new List<string>();
        var constructs = new List<Construct>(lineConstructs);
        foreach (var unit in units)
        {
            foreach (var wrapper in unit.Wrappers)
            {
                AddDistinct(programs, wrapper.Program ?? wrapper.ProgramWord);
            }

            var name = unit.Target.Program ?? unit.Target.ProgramWord;
            if (name.Length > 0)
            {
                AddDistinct(programs, name);
            }

            foreach (var action in unit.Target.AwsActions)
            {
                AddDistinct(actions, action);
            }

            foreach (var construct in unit.Constructs)
            {
                if (!constructs.Contains(construct))
                {
                    constructs.Add(construct);
                }
            }
        }

        return new DecisionFacts(programs, actions, constructs);
    }

    private static void AddDistinct(List<string> list, string value)
    {
        if (!list.Contains(value))
        {
            list.Add(value);
        }
    }

    private static Decision DecideForRole(RoleDefinition role, AnalyzedCommand analysis)
    {
        if (analysis.ParseError is not null)
        {
            return new Decision(Verdict.Deny, null, "the command cannot be parsed: " + analysis.ParseError, role.Name, analysis.Facts);
        }

        var best = new Outcome(Verdict.Allow, null, "empty command");
        var decided = false;
        void Consider(Outcome outcome)
        {
            if (!decided || outcome.Verdict > best.Verdict)
            {
                best = outcome;
                decided = true;
            }
        }

        foreach (var construct in analysis.LineConstructs)
        {
            Consider(ConstructOutcome(role, construct, null));
        }

        foreach (var unit in analysis.Units)
        {
            if (unit.Error is not null)
            {
                Consider(new Outcome(Verdict.Deny, null, unit.Error));
                continue;
            }

            foreach (var wrapper in unit.Wrappers)
            {
                if (CommandOutcome(role, wrapper) is { } outcome && outcome.Verdict != Verdict.Allow)
                {
                    Consider(outcome);
                }
            }

            var target = unit.Target;
            if (target.Program is not null)
            {
                Consider(CommandOutcome(role, target) ?? DefaultOutcome(role, $"no rule matches '{target.Program}'"));
            }
            else if (target.ProgramWord.Length > 0)
            {
                Consider(DefaultOutcome(role, $"'{target.ProgramWord}' is not a program the policy can resolve (only literal names and paths in system directories are)"));
            }

            foreach (var construct in unit.Constructs)
            {
                Consider(ConstructOutcome(role, construct, target));
            }
        }

        return new Decision(best.Verdict, best.RuleId, best.Reason, role.Name, analysis.Facts);
    }

    private static Outcome DefaultOutcome(RoleDefinition role, string why) =>
        new(role.Default, null, $"{why}; the default of role '{role.Name}' is {(role.Default == Verdict.Review ? "review" : "deny")}");

    /// <summary>The strictest matching rule over every AWS action of the command; null when no rule matches.</summary>
    private static Outcome? CommandOutcome(RoleDefinition role, ResolvedCommand command)
    {
        if (command.AwsActions.Count == 0)
        {
            return Strictest(role, command, null) is { } rule ? RuleOutcome(rule) : null;
        }

        Outcome? worst = null;
        foreach (var action in command.AwsActions)
        {
            var outcome = Strictest(role, command, action) is { } rule
                ? RuleOutcome(rule)
                : DefaultOutcome(role, $"no rule matches AWS action '{action}'");
            if (worst is null || outcome.Verdict > worst.Value.Verdict)
            {
                worst = outcome;
            }
        }

        return worst;
    }

    /// <summary>The strictest command rule matching; construct rules never decide a command.</summary>
    private static PolicyRule? Strictest(RoleDefinition role, ResolvedCommand command, string? awsAction)
    {
        PolicyRule? matched = null;
        foreach (var rule in role.Rules)
        {
            if ((matched is null || rule.Action > matched.Action) && !rule.Matcher.HasConstructList && rule.Matcher.Matches(command, awsAction, rule.Action))
            {
                matched = rule;
            }
        }

        return matched;
    }

    private static Outcome ConstructOutcome(RoleDefinition role, Construct construct, ResolvedCommand? target)
    {
        PolicyRule? matched = null;
        foreach (var rule in role.Rules)
        {
            if ((matched is null || rule.Action > matched.Action) && rule.Matcher.Covers(construct)
                && (!rule.Matcher.IsCommandRule || (target is not null && MatchesAnyAction(rule, target))))
            {
                matched = rule;
            }
        }

        return matched is null
            ? new Outcome(Verdict.Deny, null, $"{construct.Name}{(construct.Detail is null ? "" : " '" + construct.Detail + "'")} is not allowed by any rule")
            : RuleOutcome(matched);
    }

    private static bool MatchesAnyAction(PolicyRule rule, ResolvedCommand command)
    {
        if (command.AwsActions.Count == 0)
        {
            return rule.Matcher.Matches(command, null, rule.Action);
        }

        foreach (var action in command.AwsActions)
        {
            if (rule.Matcher.Matches(command, action, rule.Action))
            {
                return true;
            }
        }

        return false;
    }

    private static Outcome RuleOutcome(PolicyRule rule)
    {
        var reason = rule.Reason ?? rule.Action switch
        {
            Verdict.Allow => $"allowed by rule '{rule.Id}'",
            Verdict.Review => $"held for review by rule '{rule.Id}'",
            _ => $"denied by rule '{rule.Id}'",
        };
        return new Outcome(rule.Action, rule.Id, reason);
    }

    /// <summary>Whether <paramref name="rule"/> matches any simple command (or construct) of <paramref name="example"/>.</summary>
    internal bool ExampleMatches(PolicyRule rule, string example, out string? parseError)
    {
        var analysis = Analyze(CommandInput.Script(example));
        parseError = analysis.ParseError;
        if (parseError is not null)
        {
            return false;
        }

        var matcher = rule.Matcher;
        if (matcher.HasConstructList && !matcher.IsCommandRule)
        {
            return analysis.Facts.Constructs.Any(matcher.Covers);
        }

        foreach (var unit in analysis.Units)
        {
            var commandMatches = MatchesAnyAction(rule, unit.Target) || unit.Wrappers.Any(w => matcher.Matches(w, null, rule.Action));
            if (commandMatches && (!matcher.HasConstructList || unit.Constructs.Any(matcher.Covers)))
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct Outcome(Verdict Verdict, string? RuleId, string Reason);
}
