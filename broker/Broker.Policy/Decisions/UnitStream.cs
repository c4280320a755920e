using System.Text.RegularExpressions;
using Broker.Policy.Catalog;
using Broker.Policy.Commands;
using Broker.Policy.Paths;

namespace Broker.Policy.Decisions;

/// <summary>
/// Analyses a command's simple commands one by one, in order, as the parser reads them: each is unwrapped into units,
/// every unit is given the directories it may run in (after the <c>cd</c>s before it), the names it gives built-ins
/// are checked and its facts collected; then it goes to <paramref name="visit"/> and is dropped. A script of any size
/// is decided with only the unit at hand alive, so the work per command does not grow with the script.
/// </summary>
internal sealed partial class UnitStream(CommandUnwrapper unwrapper, CommandContext start, Action<CommandUnit> visit, Action restart) : IShellCommandSink
{
    // A cd that may fail leaves the shell in one of several directories; past this many, anywhere.
    private const int MaxWorkingDirectories = 8;

    private readonly List<CommandUnit> _units = [];
    private CommandContext? _context;

    /// <summary>Where a shell may be after the units so far.</summary>
    public CommandContext Context => _context ?? start;

    public FactsCollector Facts { get; } = new();

    public void Add(SimpleCommand command)
    {
        unwrapper.Unwrap(command, _units);
        foreach (var unit in _units)
        {
            unit.Context = WrappedContext(unit, Context);
            _context = After(unit, Context);
            AddNameConstructs(unit);
            Facts.Add(unit);
            visit(unit);
        }

        _units.Clear();
    }

    public void Restart()
    {
        _context = null;
        Facts.Clear();
        restart();
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

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9]+\])?$")]
    private static partial Regex NameOrElement();
}
