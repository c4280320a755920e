using Broker.Policy.Catalog;
using Broker.Policy.Commands;
using Broker.Policy.Decisions;

namespace Broker.Policy;

/// <summary>
/// Decides commands under a set of roles: parse, unwrap, resolve, interpret arguments with the program catalog, then
/// match every simple command against the role's rules. Checks no rule can lift come first: text bash would evaluate
/// as code, variables that change what runs, and the role's protected paths. A line's verdict is the strictest over
/// its commands and constructs; with several roles the most permissive role's verdict applies. Unknown programs get
/// the role's default; unallowed constructs are denied. The engine holds no mutable state: one instance serves every
/// session and thread.
/// </summary>
public sealed partial class PolicyEngine
{
    /// <summary>The rule id of a decision made by the role's default (no rule matched).</summary>
    public const string DefaultRuleId = "default";

    /// <summary>The rule id of a decision on text that cannot be parsed.</summary>
    public const string ParseRuleId = "(parse)";

    /// <summary>The rule id of a decision on a construct no rule allows.</summary>
    public const string ConstructRuleId = "(construct)";

    /// <summary>The rule id of a decision on text bash would evaluate as code.</summary>
    public const string EvaluationRuleId = "(evaluation-context)";

    /// <summary>The rule id of a decision on a variable that changes what runs.</summary>
    public const string VariableRuleId = "(shell-variable)";

    /// <summary>The rule id of a decision on a protected path.</summary>
    public const string ProtectedPathRuleId = "(protected-path)";

    /// <summary>The rule id of a decision for an identity without a role.</summary>
    public const string NoRoleRuleId = "(no-role)";

    private readonly CommandUnwrapper _unwrapper;
    private readonly Paths.ProtectedPaths _alwaysProtected;
    private readonly Dictionary<RoleDefinition, Paths.ProtectedPaths> _protected = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _protectedGate = new();

    /// <summary>Creates an engine for a loaded policy (it uses the policy's system directories and program catalog).</summary>
    public PolicyEngine(PolicyDocument policy)
        : this(policy?.SystemDirectories ?? throw new ArgumentNullException(nameof(policy)), policy.Catalog)
    {
    }

    /// <summary>
    /// Creates an engine for a loaded policy whose roles all protect <paramref name="alwaysProtected"/> as well
    /// (the broker's data directory, its keys).
    /// </summary>
    public PolicyEngine(PolicyDocument policy, IReadOnlyList<string> alwaysProtected)
        : this(policy?.SystemDirectories ?? throw new ArgumentNullException(nameof(policy)), policy.Catalog, alwaysProtected)
    {
    }

    internal PolicyEngine(IReadOnlySet<string> systemDirectories, ProgramCatalog? catalog = null, IReadOnlyList<string>? alwaysProtected = null)
    {
        _unwrapper = new CommandUnwrapper(systemDirectories, catalog ?? ProgramCatalog.Default);
        _alwaysProtected = new Paths.ProtectedPaths(alwaysProtected ?? []);
    }

    internal CommandUnwrapper Unwrapper => _unwrapper;

    /// <summary>Decides <paramref name="command"/> under <paramref name="roles"/> (normally the roles granting the target).</summary>
    public Decision Decide(IReadOnlyList<RoleDefinition> roles, CommandInput command)
    {
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(command);

        // Each unit is decided for every role as it is read, then dropped; per role only the strictest outcome so far is kept.
        var paths = new Paths.ProtectedPaths[roles.Count];
        var strictest = new Outcome?[roles.Count];
        for (var i = 0; i < roles.Count; i++)
        {
            paths[i] = ProtectedFor(roles[i]);
        }

        var walk = Walk(
            command,
            unit =>
            {
                for (var i = 0; i < roles.Count; i++)
                {
                    strictest[i] = Stricter(strictest[i], UnitOutcome(roles[i], unit, paths[i]));
                }
            },
            () => Array.Clear(strictest));
        if (roles.Count == 0)
        {
            return new Decision(Verdict.Deny, NoRoleRuleId, "no role applies to this identity", null, walk.Facts);
        }

        Decision? best = null;
        for (var i = 0; i < roles.Count; i++)
        {
            var decision = DecideForRole(roles[i], walk, strictest[i]);
            if (best is null || decision.Verdict < best.Verdict)
            {
                best = decision;
            }
        }

        return best!;
    }

    /// <summary>The directories a shell may be in after <paramref name="command"/> ran there (for a session that goes on).</summary>
    public CommandContext ContextAfter(CommandInput command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Walk(command, static _ => { }, static () => { }).ContextAfter;
    }

    /// <summary>The role's decision: the text's own constructs come before the units (<paramref name="units"/>: their strictest outcome).</summary>
    private static Decision DecideForRole(RoleDefinition role, CommandWalk walk, Outcome? units)
    {
        if (walk.ParseError is not null)
        {
            return new Decision(Verdict.Deny, ParseRuleId, "the command cannot be parsed: " + walk.ParseError, role.Name, walk.Facts);
        }

        Outcome? best = null;
        foreach (var construct in walk.LineConstructs)
        {
            best = Stricter(best, BuiltInOutcome(construct) ?? ConstructOutcome(role, construct, null));
        }

        var decided = Stricter(best, units) ?? new Outcome(Verdict.Allow, null, "empty command");
        return new Decision(decided.Verdict, decided.RuleId, decided.Reason, role.Name, walk.Facts);
    }

    /// <summary>The strictest outcome of one unit's checks (the first of them on a tie), or null when nothing in it is decided.</summary>
    private static Outcome? UnitOutcome(RoleDefinition role, CommandUnit unit, Paths.ProtectedPaths protectedPaths)
    {
        if (unit.Error is not null)
        {
            return new Outcome(Verdict.Deny, ParseRuleId, unit.Error);
        }

        var best = NetworkRedirectionOutcome(unit) ?? ProtectedPathOutcome(unit, protectedPaths);
        foreach (var wrapper in unit.Wrappers)
        {
            // A wrapper is transparent, unless its own options do something (time -o writes, nohup.out):
            // then it is decided like any command.
            var outcome = CommandOutcome(role, wrapper);
            if (outcome is null && wrapper.Interpretation.Effects.Count > 0)
            {
                outcome = DefaultOutcome(role, $"no rule matches '{wrapper.Program}', whose own options {wrapper.Interpretation.Effects[0]}");
            }

            if (outcome is { } wrapped && wrapped.Verdict != Verdict.Allow)
            {
                best = Stricter(best, wrapped);
            }
        }

        var target = unit.Target;
        if (target.Program is not null)
        {
            best = Stricter(best, CommandOutcome(role, target) ?? DefaultOutcome(role, $"no rule matches '{target.Program}'"));
        }
        else if (target.ProgramWord.Length > 0)
        {
            best = Stricter(best, DefaultOutcome(role, $"'{target.ProgramWord}' is not a program the policy can resolve (only literal names and paths in system directories are)"));
        }

        foreach (var construct in unit.Constructs)
        {
            best = Stricter(best, (ReadsWithItsOwnSeparator(unit, construct) ? null : BuiltInOutcome(construct)) ?? ConstructOutcome(role, construct, target));
        }

        return best;
    }

    /// <summary><paramref name="next"/> if it is stricter than <paramref name="sofar"/> (or there is none yet): on a tie, what came first decides.</summary>
    private static Outcome? Stricter(Outcome? sofar, Outcome? next) =>
        sofar is null || (next is { } candidate && candidate.Verdict > sofar.Value.Verdict) ? next ?? sofar : sofar;

    /// <summary>Decisions no rule can change: evaluation contexts and variables that change what runs.</summary>
    private static Outcome? BuiltInOutcome(Construct construct)
    {
        if (construct.Name == ConstructNames.EvaluationContext)
        {
            return new Outcome(Verdict.Deny, EvaluationRuleId, $"bash would evaluate text as code here, which could run any program ({construct.Detail})");
        }

        if (construct.Name is ConstructNames.Assignment or ConstructNames.ShellVariable && construct.Detail is { } name && ShellVariables.IsProtected(name))
        {
            return new Outcome(Verdict.Deny, VariableRuleId, $"assigning '{name}' changes what runs or how; it is never allowed");
        }

        return null;
    }

    /// <summary>
    /// <c>IFS= read -r line</c>: a prefix assignment to a built-in that is not special lasts for that built-in only, and
    /// <c>read</c> uses IFS just to split what it reads.
    /// </summary>
    private static bool ReadsWithItsOwnSeparator(CommandUnit unit, Construct construct) =>
        construct is { Name: ConstructNames.Assignment, Detail: "IFS" } && unit.Wrappers.Count == 0 && unit.Target.Program is "read" or "mapfile" or "readarray";

    private Paths.ProtectedPaths ProtectedFor(RoleDefinition role)
    {
        lock (_protectedGate)
        {
            if (!_protected.TryGetValue(role, out var paths))
            {
                paths = new Paths.ProtectedPaths([.. role.ProtectedPaths, .. _alwaysProtected.Patterns]);
                _protected[role] = paths;
            }

            return paths;
        }
    }

    private static Outcome DefaultOutcome(RoleDefinition role, string why) =>
        new(role.Default, DefaultRuleId, $"{why}; the default of role '{role.Name}' is {(role.Default == Verdict.Review ? "review" : "deny")}");

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
        var rules = role.Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
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
        var rules = role.Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if ((matched is null || rule.Action > matched.Action) && rule.Matcher.Covers(construct)
                && (!rule.Matcher.IsCommandRule || (target is not null && MatchesAnyAction(rule, target))))
            {
                matched = rule;
            }
        }

        return matched is null
            ? new Outcome(Verdict.Deny, ConstructRuleId, $"{construct.Name}{(construct.Detail is null ? "" : " '" + construct.Detail + "'")} is not allowed by any rule")
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

    private static Outcome RuleOutcome(PolicyRule rule) => new(rule.Action, rule.Id, rule.DecisionReason);

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
