using System.Text.RegularExpressions;
using Broker.Policy.Catalog;
using Broker.Policy.Commands;
using Broker.Policy.Decisions;
using Broker.Policy.Paths;

namespace Broker.Policy;

/// <summary>Analysis: parse, unwrap, follow <c>cd</c>, check variable names, collect facts; and the protected-path check.</summary>
public sealed partial class PolicyEngine
{
    // A cd that may fail leaves the shell in one of several directories; past this many, anywhere.
    private const int MaxWorkingDirectories = 8;

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

        var context = command.Context;
        foreach (var unit in units)
        {
            unit.Context = WrappedContext(unit, context);
            context = After(unit, context);
        }

        return new AnalyzedCommand(units, lineConstructs, null, CollectFacts(units, lineConstructs)) { ContextAfter = context };
    }

    /// <summary>A wrapper that changes directory (<c>env -C DIR</c>) runs its command there.</summary>
    private static CommandContext WrappedContext(CommandUnit unit, CommandContext context)
    {
        foreach (var wrapper in unit.Wrappers)
        {
            foreach (var effect in wrapper.Interpretation.Effects)
            {
                if (effect.Kind != ArgumentKind.Chdir || effect.Target is not { } word)
                {
                    continue;
                }

                var directories = PathResolver.Resolve(word, context);
                context = directories.All(Patterns.TextPattern.IsLiteral)
                    ? context with { WorkingDirectories = directories }
                    : context with { WorkingDirectories = [] };
            }
        }

        return context;
    }

    /// <summary>The context after <paramref name="unit"/>: a <c>cd</c> may have moved the shell (or failed and not).</summary>
    private static CommandContext After(CommandUnit unit, CommandContext context)
    {
        var effects = unit.Target.Interpretation.Effects;
        var moves = unit.Target.Program is "cd" or "pushd" or "popd";
        if (!moves)
        {
            return context;
        }

        var destinations = new List<string>();
        var known = unit.Target.Program != "popd";
        var chdir = effects.Where(e => e.Kind == ArgumentKind.Chdir && e.Target is not null).ToList();
        if (known && chdir.Count == 0)
        {
            // cd alone goes home; "cd -" and the directory stack are not followed.
            if (unit.Target.Words.Count > 0 || context.HomeDirectory is null)
            {
                known = false;
            }
            else
            {
                destinations.Add(context.HomeDirectory);
            }
        }

        foreach (var effect in chdir)
        {
            var word = effect.Target!.Value;
            if (word.IsLiteral && word.Value == "-")
            {
                known = false;
                break;
            }

            foreach (var path in PathResolver.Resolve(word, context))
            {
                if (!Patterns.TextPattern.IsLiteral(path))
                {
                    known = false;
                    break;
                }

                destinations.Add(path);
            }
        }

        if (!known || context.WorkingDirectories.Count == 0)
        {
            return context with { WorkingDirectories = [] };
        }

        var directories = context.WorkingDirectories.Concat(destinations).Distinct(StringComparer.Ordinal).ToList();
        return context with { WorkingDirectories = directories.Count > MaxWorkingDirectories ? [] : directories };
    }

    /// <summary>A command that reads, writes, lists or recurses into a protected path (its own, a wrapper's, a redirection's).</summary>
    private static Outcome? ProtectedPathOutcome(CommandUnit unit, ProtectedPaths paths)
    {
        if (paths.IsEmpty)
        {
            return null;
        }

        for (var i = 0; i <= unit.Wrappers.Count; i++)
        {
            var effects = (i < unit.Wrappers.Count ? unit.Wrappers[i] : unit.Target).Interpretation.Effects;
            for (var e = 0; e < effects.Count; e++)
            {
                var effect = effects[e];
                if (effect.Target is { } word && effect.Kind is ArgumentKind.Reads or ArgumentKind.Writes or ArgumentKind.Lists or ArgumentKind.Recurses
                    && !CheckedBefore(effects, e) && Hit(paths, effect.Kind, word, unit.Context) is { } hit)
                {
                    return hit;
                }
            }
        }

        foreach (var redirect in unit.Redirects)
        {
            if (redirect.IsDescriptorTarget)
            {
                continue;
            }

            var kind = redirect.ReadsFile && !redirect.WritesFile ? ArgumentKind.Reads : ArgumentKind.Writes;
            if (Hit(paths, kind, redirect.Target, unit.Context) is { } hit)
            {
                return hit;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether an earlier effect accessed the same word the same way: several options may take one word (an unknown
    /// word that may be -f, --file or --exclude-from), and each is checked once.
    /// </summary>
    private static bool CheckedBefore(List<CommandEffect> effects, int index)
    {
        for (var i = 0; i < index; i++)
        {
            if (effects[i].Kind == effects[index].Kind && effects[i].Target == effects[index].Target)
            {
                return true;
            }
        }

        return false;
    }

    // Bash itself connects to host:port when a redirection names these; no program sees the path.
    private static readonly ProtectedPaths BashNetworkPaths = new(["/dev/tcp/**", "/dev/udp/**"]);

    /// <summary>A redirection bash itself turns into a network connection (<c>/dev/tcp/host/port</c>), for any role.</summary>
    private static Outcome? NetworkRedirectionOutcome(CommandUnit unit)
    {
        foreach (var redirect in unit.Redirects)
        {
            if (redirect.IsDescriptorTarget)
            {
                continue;
            }

            foreach (var path in PathResolver.Resolve(redirect.Target, unit.Context))
            {
                if (BashNetworkPaths.Hit(ArgumentKind.Reads, path, null) is not null)
                {
                    return new Outcome(Verdict.Deny, ProtectedPathRuleId, $"bash opens a network connection for '{redirect.Target.Value}' (/dev/tcp, /dev/udp)");
                }
            }
        }

        return null;
    }

    private static Outcome? Hit(ProtectedPaths paths, ArgumentKind kind, ShellWord word, CommandContext context)
    {
        foreach (var path in PathResolver.Resolve(word, context))
        {
            if (paths.Hit(kind, path, context.HomeDirectory) is { } pattern)
            {
                var what = word.IsLiteral || Patterns.TextPattern.IsLiteral(path) && path == word.Value ? $"'{word.Value}'" : $"'{word.Value}' (which may be {Patterns.TextPattern.Display(path)})";
                var why = kind switch
                {
                    ArgumentKind.Writes => $"writes {what}, under",
                    ArgumentKind.Lists => $"lists {what}, under",
                    ArgumentKind.Recurses => $"reads {what} recursively, which may hold",
                    _ => $"reads {what}, under",
                };
                return new Outcome(Verdict.Deny, ProtectedPathRuleId, $"the command {why} the protected path '{pattern}'");
            }
        }

        return null;
    }

    private static DecisionFacts CollectFacts(List<CommandUnit> units, IReadOnlyList<Construct> lineConstructs)
    {
        var programs = new List<string>();
        var actions = new List<string>();
        var secrets = new List<string>();
        var effects = new List<string>();
        var constructs = new List<Construct>(lineConstructs);
        foreach (var unit in units)
        {
            AddNameConstructs(unit);
            foreach (var wrapper in unit.Wrappers)
            {
                AddDistinct(programs, wrapper.Program ?? wrapper.ProgramWord);
                AddEffects(effects, wrapper);
            }

            var name = unit.Target.Program ?? unit.Target.ProgramWord;
            if (name.Length > 0)
            {
                AddDistinct(programs, name);
            }

            AddEffects(effects, unit.Target);
            foreach (var action in unit.Target.AwsActions)
            {
                AddDistinct(actions, action);
            }

            foreach (var action in unit.Target.SecretActions)
            {
                AddDistinct(secrets, action);
            }

            foreach (var construct in unit.Constructs)
            {
                if (!constructs.Contains(construct))
                {
                    constructs.Add(construct);
                }
            }
        }

        return new DecisionFacts(programs, actions, constructs) { Effects = effects, SecretActions = secrets };
    }

    private static void AddEffects(List<string> into, ResolvedCommand command)
    {
        foreach (var effect in command.Interpretation.Effects)
        {
            if (effect.Kind is not (ArgumentKind.Name or ArgumentKind.Chdir))
            {
                AddDistinct(into, effect.ToString());
            }
        }
    }

    /// <summary>
    /// Names given to built-ins that assign them (<c>read</c>, <c>printf -v</c>, <c>test -v</c>, <c>unset</c>, …) must be
    /// plain names: bash evaluates a subscript in them as code. Each name is a shell variable the command sets; options
    /// that make later assignments evaluate text (<c>declare -i</c>, <c>mapfile -C</c>) are evaluation contexts.
    /// </summary>
    private static void AddNameConstructs(CommandUnit unit)
    {
        var constructs = unit.ConstructList;
        foreach (var effect in unit.Target.Interpretation.Effects)
        {
            if (effect.Kind == ArgumentKind.Evaluates)
            {
                constructs.Add(new Construct(ConstructNames.EvaluationContext, $"{unit.Target.Program} {effect.Detail}: makes bash evaluate text as code"));
            }
            else if (effect.Kind == ArgumentKind.Name && effect.Target is { } word)
            {
                var name = word.IsLiteral ? word.Value.Split('=', 2)[0] : word.Value;
                var match = word.IsLiteral ? NameOrElement().Match(name) : Match.Empty;
                if (match.Success)
                {
                    constructs.Add(new Construct(ConstructNames.ShellVariable, match.Groups[1].Value));
                }
                else if (!word.IsLiteral || name.Contains('[', StringComparison.Ordinal))
                {
                    // bash evaluates a subscript in the name; a literal that is no name at all is only refused by bash.
                    constructs.Add(new Construct(ConstructNames.EvaluationContext, $"{unit.Target.Program}: '{name}' is not a plain variable name"));
                }
            }
        }
    }

    private static void AddDistinct(List<string> list, string value)
    {
        if (!list.Contains(value))
        {
            list.Add(value);
        }
    }

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9]+\])?$")]
    private static partial Regex NameOrElement();
}
