using Broker.Policy.Commands;

namespace Broker.Policy.Decisions;

/// <summary>
/// Turns a simple command into what actually runs: strips wrappers, resolves the program against the system
/// directories, parses <c>sh -c</c> scripts recursively and analyses <c>aws</c> invocations.
/// </summary>
internal sealed class CommandUnwrapper(IReadOnlySet<string> systemDirectories)
{
    private const int MaxDepth = 8;

    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh" };

    public void Unwrap(SimpleCommand command, List<CommandUnit> units) => Unwrap(command, units, 0);

    private void Unwrap(SimpleCommand command, List<CommandUnit> units, int depth)
    {
        var constructs = new List<Construct>(command.Constructs);
        var wrappers = new List<ResolvedCommand>();
        var words = command.Words;
        var start = 0;
        var hiddenArguments = false;

        if (words.Count == 0)
        {
            // Only assignments or redirections: nothing runs, but the constructs still need a rule.
            units.Add(new CommandUnit(wrappers, new ResolvedCommand(null, string.Empty, [], false), constructs, null));
            return;
        }

        while (true)
        {
            var word = words[start];
            var program = Resolve(word);
            var programWord = word.Value.Length == 0 ? word with { Value = "''" } : word;
            if (!programWord.IsLiteral)
            {
                constructs.Add(new Construct(ConstructNames.DynamicProgram, programWord.Value));
            }

            var arguments = Literal(words, start + 1);
            if (program is not null && WrapperSpec.All.TryGetValue(program, out var spec))
            {
                var inner = FindInnerCommand(spec, words, start + 1, constructs);
                if (inner > 0)
                {
                    if (wrappers.Count >= MaxDepth)
                    {
                        constructs.Add(new Construct(ConstructNames.NestingTooDeep, program));
                        units.Add(new CommandUnit(wrappers, new ResolvedCommand(program, programWord.Value, arguments, hiddenArguments), constructs, null));
                        return;
                    }

                    wrappers.Add(new ResolvedCommand(program, programWord.Value, Literal(words, start + 1, inner), hiddenArguments));
                    hiddenArguments |= spec.SuppliesArguments;
                    start = inner;
                    continue;
                }
            }

            var target = new ResolvedCommand(program, programWord.Value, arguments, hiddenArguments);
            if (program == "aws")
            {
                AwsCli.Analyze(target, constructs);
            }

            units.Add(new CommandUnit(wrappers, target, constructs, null));
            if (program is not null && Shells.Contains(program))
            {
                UnwrapShellScript(arguments, units, depth);
            }

            return;
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

    /// <summary>Index of the wrapped command's program word, 0 when the wrapper runs nothing.</summary>
    private static int FindInnerCommand(WrapperSpec spec, IReadOnlyList<ShellWord> words, int index, List<Construct> constructs)
    {
        while (index < words.Count)
        {
            var word = words[index].Value;
            if (word == "--")
            {
                index++;
                break;
            }

            if (spec.TakesAssignments && IsAssignment(word))
            {
                constructs.Add(new Construct(ConstructNames.Assignment, word[..word.IndexOf('=', StringComparison.Ordinal)]));
                index++;
                continue;
            }

            if (word.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = word.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? word : word[..equals];
                if (spec.LongWithValue.Contains(name))
                {
                    index += equals < 0 ? 2 : 1;
                }
                else if (spec.LongFlags.Contains(name))
                {
                    index++;
                }
                else
                {
                    return Opaque(constructs, word);
                }

                continue;
            }

            if (word.Length > 1 && word[0] == '-')
            {
                if (spec.TakesNumericOption && word.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0)
                {
                    index++;
                    continue;
                }

                var consumed = 1;
                for (var j = 1; j < word.Length; j++)
                {
                    var option = word[j];
                    if (spec.ShortNoCommand.Contains(option, StringComparison.Ordinal))
                    {
                        return 0;
                    }

                    if (spec.ShortWithValue.Contains(option, StringComparison.Ordinal))
                    {
                        consumed = j == word.Length - 1 ? 2 : 1;
                        break;
                    }

                    if (!spec.ShortFlags.Contains(option, StringComparison.Ordinal))
                    {
                        return Opaque(constructs, word);
                    }
                }

                index += consumed;
                continue;
            }

            if (word == "-" && spec.TakesAssignments)
            {
                index++;
                continue;
            }

            break;
        }

        index += spec.LeadingOperands;
        return index < words.Count ? index : 0;
    }

    private static int Opaque(List<Construct> constructs, string option)
    {
        constructs.Add(new Construct(ConstructNames.OpaqueWrapper, option));
        return 0;
    }

    private static bool IsAssignment(string word)
    {
        var equals = word.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || !(char.IsAsciiLetter(word[0]) || word[0] == '_'))
        {
            return false;
        }

        for (var i = 1; i < equals; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(word[i]) || word[i] == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static string[] Literal(IReadOnlyList<ShellWord> words, int from, int to = -1)
    {
        var end = to < 0 ? words.Count : to;
        if (end <= from)
        {
            return [];
        }

        var result = new string[end - from];
        for (var i = from; i < end; i++)
        {
            result[i - from] = words[i].Value;
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
