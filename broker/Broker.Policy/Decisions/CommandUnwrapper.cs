using Broker.Policy.Catalog;
using Broker.Policy.Commands;

namespace Broker.Policy.Decisions;

/// <summary>
/// Turns a simple command into what actually runs: reads each wrapper's own options with its catalog entry (so
/// <c>time -o FILE</c> writes FILE and <c>nohup</c> writes <c>nohup.out</c>), strips it, resolves the program against
/// the system directories, interprets the program's arguments with the catalog, parses <c>sh -c</c> scripts
/// recursively and analyses <c>aws</c> invocations.
/// </summary>
internal sealed class CommandUnwrapper(IReadOnlySet<string> systemDirectories, ProgramCatalog catalog)
{
    private const int MaxDepth = 8;

    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh" };

    public ProgramCatalog Catalog => catalog;

    public void Unwrap(SimpleCommand command, List<CommandUnit> units) => Unwrap(command, units, 0);

    private void Unwrap(SimpleCommand command, List<CommandUnit> units, int depth)
    {
        var constructs = new List<Construct>(command.Constructs);
        var wrappers = new List<ResolvedCommand>();
        var words = command.Words;
        var start = 0;
        var hiddenArguments = false;

        if (words.Count == 0 || command.IsWordList)
        {
            // Only assignments or redirections, or a loop's word list: nothing runs, but the constructs still need a rule.
            units.Add(new CommandUnit(wrappers, new ResolvedCommand(null, string.Empty, [], false), constructs, null, command.Redirects));
            return;
        }

        while (true)
        {
            var word = words[start];
            var program = Resolve(word);
            var programWord = word.Value.Length == 0 ? "''" : word.Value;
            if (!word.IsLiteral)
            {
                constructs.Add(new Construct(ConstructNames.DynamicProgram, programWord));
            }

            var spec = program is null ? null : catalog.Find(program);
            var interpretation = ArgumentInterpreter.Interpret(spec, words, start + 1);
            if (spec is { IsWrapper: true })
            {
                foreach (var assignment in interpretation.Assignments)
                {
                    constructs.Add(new Construct(ConstructNames.Assignment, assignment[..assignment.IndexOf('=', StringComparison.Ordinal)]));
                }

                if (interpretation.OpaqueAt is { } opaque)
                {
                    constructs.Add(new Construct(ConstructNames.OpaqueWrapper, opaque));
                }
                else if (interpretation.CommandStart > start && !interpretation.NoCommand)
                {
                    if (wrappers.Count >= MaxDepth)
                    {
                        constructs.Add(new Construct(ConstructNames.NestingTooDeep, program));
                    }
                    else
                    {
                        var wrapper = new ResolvedCommand(program, programWord, Slice(words, start + 1, interpretation.CommandStart), hiddenArguments)
                        {
                            Interpretation = interpretation,
                        };
                        AddOutputFile(spec, wrapper, command.Redirects);
                        wrappers.Add(wrapper);
                        hiddenArguments |= spec.SuppliesArguments;
                        start = interpretation.CommandStart;
                        continue;
                    }
                }
            }

            var target = new ResolvedCommand(program, programWord, Slice(words, start + 1, words.Count), hiddenArguments) { Interpretation = interpretation };
            if (spec is not null)
            {
                AddOutputFile(spec, target, command.Redirects);
            }

            if (hiddenArguments)
            {
                AddHiddenOperands(spec, target);
            }

            if (program == "aws")
            {
                AwsCli.Analyze(target, constructs, catalog.Aws);
            }

            units.Add(new CommandUnit(wrappers, target, constructs, null, command.Redirects));
            if (program is not null && Shells.Contains(program))
            {
                UnwrapShellScript(target.Arguments, units, depth);
            }

            return;
        }
    }

    /// <summary><c>nohup</c> writes <c>nohup.out</c> (in the working directory, else the home directory) unless standard output goes to a file.</summary>
    private static void AddOutputFile(ProgramSpec spec, ResolvedCommand command, IReadOnlyList<Redirect> redirects)
    {
        if (spec.WritesUnlessOutputRedirected is not { } file || redirects.Any(r => r.WritesFile && r.EffectiveDescriptor.Contains('1', StringComparison.Ordinal)))
        {
            return;
        }

        command.Interpretation.Effects.Add(new CommandEffect(ArgumentKind.Writes, new ShellWord(file, true), spec.Name));
        command.Interpretation.Effects.Add(new CommandEffect(ArgumentKind.Writes, new ShellWord("~/" + file, false, Patterns.TextPattern.Home + "/" + file, false), spec.Name));
    }

    /// <summary>Arguments xargs adds at run time may be any operand: a path the program reads, lists or writes.</summary>
    private static void AddHiddenOperands(ProgramSpec? spec, ResolvedCommand command)
    {
        var unknown = new ShellWord("(arguments from xargs)", false);
        var kinds = spec is null ? [ArgumentKind.Reads] : spec.Operands.Count == 0 ? [ArgumentKind.Reads] : spec.Operands.Distinct().ToArray();
        foreach (var kind in kinds)
        {
            if (kind is ArgumentKind.Reads or ArgumentKind.Writes or ArgumentKind.Lists or ArgumentKind.Recurses)
            {
                command.Interpretation.Effects.Add(new CommandEffect(kind, unknown, "xargs"));
            }
        }
    }

    private void UnwrapShellScript(IReadOnlyList<string> arguments, List<CommandUnit> units, int depth)
    {
        var script = FindShellScript(arguments);
        if (script is null)
        {
            return;
        }

        var parsed = depth + 1 < MaxDepth
            ? ShellParser.Parse(script)
            : ShellParseResult.Failure("shell scripts are nested too deeply", false);
        if (!parsed.Succeeded)
        {
            units.Add(new CommandUnit([], new ResolvedCommand(null, string.Empty, [], false), [], "cannot parse the script given to the shell: " + parsed.Error));
            return;
        }

        if (parsed.Script!.Constructs.Count > 0)
        {
            units.Add(new CommandUnit([], new ResolvedCommand(null, string.Empty, [], false), parsed.Script.Constructs, null));
        }

        foreach (var inner in parsed.Script.Commands)
        {
            Unwrap(inner, units, depth + 1);
        }
    }

    /// <summary>The script of <c>sh -c SCRIPT</c> (also <c>-lc</c>, <c>-ec</c>, …), or null when there is none.</summary>
    private static string? FindShellScript(IReadOnlyList<string> arguments)
    {
        var commandMode = false;
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument is "-o" or "+o" or "-O" or "+O" or "--rcfile" or "--init-file")
            {
                i++;
                continue;
            }

            if (argument == "--")
            {
                return commandMode && i + 1 < arguments.Count ? arguments[i + 1] : null;
            }

            if (argument.Length > 1 && argument[0] is '-' or '+')
            {
                if (!argument.StartsWith("--", StringComparison.Ordinal) && argument.Contains('c', StringComparison.Ordinal))
                {
                    commandMode = true;
                }

                continue;
            }

            return commandMode ? argument : null;
        }

        return null;
    }

    private static ShellWord[] Slice(IReadOnlyList<ShellWord> words, int from, int to)
    {
        if (to <= from)
        {
            return [];
        }

        var result = new ShellWord[to - from];
        for (var i = from; i < to; i++)
        {
            result[i - from] = words[i];
        }

        return result;
    }

    /// <summary>A path counts as its basename only inside a system directory; anything else is unknown (null).</summary>
    internal string? Resolve(ShellWord word)
    {
        if (!word.IsLiteral || word.Value.Length == 0)
        {
            return null;
        }

        var value = word.Value;
        var slash = value.LastIndexOf('/');
        if (slash < 0)
        {
            return value;
        }

        var directory = slash == 0 ? "/" : value[..slash];
        var name = value[(slash + 1)..];
        return name.Length > 0 && systemDirectories.Contains(directory) ? name : null;
    }
}
