using Broker.Policy.Catalog;
using Broker.Policy.Commands;
using Broker.Policy.Decisions;
using Broker.Policy.Paths;

namespace Broker.Policy;

/// <summary>Analysis: read a command unit by unit (parse, unwrap, follow <c>cd</c>, check names, collect facts); and the protected-path check.</summary>
public sealed partial class PolicyEngine
{
    /// <summary>
    /// Reads <paramref name="command"/> and hands each of its units, analysed, to <paramref name="visit"/> as soon as it
    /// is read (see <see cref="UnitStream"/>); <paramref name="restart"/> means the units so far are void (the parser
    /// reads the text again). On a parse error the units given are void too.
    /// </summary>
    private CommandWalk Walk(CommandInput command, Action<CommandUnit> visit, Action restart)
    {
        var stream = new UnitStream(_unwrapper, command.Context, visit, restart);
        IReadOnlyList<Construct> lineConstructs = [];
        if (command.IsArgv)
        {
            if (command.Arguments!.Count == 0)
            {
                return new CommandWalk([], "the argv is empty", new DecisionFacts([], [], []), CommandContext.Unknown);
            }

            stream.Add(SimpleCommand.FromArgv(command.Arguments));
        }
        else
        {
            var parsed = ShellParser.Parse(command.Text!, stream);
            if (!parsed.Succeeded)
            {
                return new CommandWalk([], parsed.Error, new DecisionFacts([], [], []), CommandContext.Unknown);
            }

            lineConstructs = parsed.Script!.Constructs;
        }

        return new CommandWalk(lineConstructs, null, stream.Facts.Build(lineConstructs), stream.Context);
    }

    /// <summary>Every unit of <paramref name="command"/>, held together (for callers that look at them after the fact).</summary>
    internal AnalyzedCommand Analyze(CommandInput command)
    {
        var units = new List<CommandUnit>();
        var walk = Walk(command, units.Add, units.Clear);
        return new AnalyzedCommand(walk.ParseError is null ? units : [], walk.LineConstructs, walk.ParseError, walk.Facts) { ContextAfter = walk.ContextAfter };
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

    /// <summary>What reading a command left besides its units: the text's own constructs, a parse error, the facts, where the shell may be after it.</summary>
    private readonly record struct CommandWalk(IReadOnlyList<Construct> LineConstructs, string? ParseError, DecisionFacts Facts, CommandContext ContextAfter);
}
