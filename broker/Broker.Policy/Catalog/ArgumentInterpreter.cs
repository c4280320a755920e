using Broker.Policy.Commands;
using Broker.Policy.Patterns;

namespace Broker.Policy.Catalog;

/// <summary>
/// Reads a program's arguments with its catalog entry the way the program's option parser would (GNU permutation unless
/// options end at the first operand, <c>--</c>, clustered short options, attached and separate values, unambiguous long
/// prefixes), and reports every effect it may have. A word whose value is unknown is decided as every thing it could be:
/// an option (any option its literal prefix allows, taking the next word as a value), or one or more operands at
/// any position it could land on.
/// </summary>
internal static partial class ArgumentInterpreter
{
    public static InterpretedArguments Interpret(ProgramSpec? spec, IReadOnlyList<ShellWord> words, int from)
    {
        var result = new InterpretedArguments();
        if (spec is null)
        {
            Uncatalogued(words, from, result);
            return result;
        }

        if (spec.Always is { } always)
        {
            Add(result, new CommandEffect(always, null, spec.Name));
        }

        var operands = new List<(ShellWord Word, int Min, int Max)>();
        var optionsEnded = false;
        var mayBeEnded = false;
        var recursive = false;
        var replacesFirst = false;
        int min = 0, max = 0;
        for (var i = from; i < words.Count; i++)
        {
            var word = words[i];
            if (!optionsEnded && word.IsLiteral && word.Value == "--")
            {
                optionsEnded = true;
                continue;
            }

            if (!optionsEnded && word.IsLiteral && word.Value.Length > 1 && word.Value[0] == '-')
            {
                if (spec.NumericOption && word.Value.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0)
                {
                    continue;
                }

                if (mayBeEnded)
                {
                    // An earlier unknown word may have been '--': this may be an operand too.
                    operands.Add((word, min, max == int.MaxValue ? max : max + 1));
                }

                i = Option(spec, words, i, result, ref recursive, ref replacesFirst);
                if (result.OpaqueAt is not null)
                {
                    return result;
                }

                continue;
            }

            if (!optionsEnded && !word.IsLiteral && word.MayBeOption)
            {
                result.MayBeAnyOption = true;
                result.UnknownOptionPrefixes.Add(TextPattern.LiteralPrefix(word.Pattern).ToString());
                result.UnknownOptionWords.Add((word, i + 1 < words.Count ? words[i + 1] : null));
                mayBeEnded = true;
                if (spec.IsWrapper)
                {
                    result.OpaqueAt = word.Value;
                    return result;
                }

                // As operands it may be none, one or (split) many; as an option it may take the next word as its value.
                operands.Add((word, min, word.MaySplit ? int.MaxValue : max));
                max = word.MaySplit || max == int.MaxValue ? int.MaxValue : max + 1;
                continue;
            }

            if (spec.TakesAssignments && result.CommandStart < 0 && word.IsLiteral && IsAssignment(word.Value))
            {
                result.Assignments.Add(word.Value);
                continue;
            }

            if (spec.IsWrapper && !result.NoCommand && spec.OperandKind(min) == ArgumentKind.Command)
            {
                if (min != max)
                {
                    result.OpaqueAt = word.Value;
                    return result;
                }

                result.CommandStart = i;
                break;
            }

            operands.Add((word, min, word.MaySplit || max == int.MaxValue ? int.MaxValue : max));
            if (!word.MaySplit)
            {
                min++;
            }

            max = word.MaySplit || max == int.MaxValue ? int.MaxValue : max + 1;
            if (spec.OptionsEndAtOperand)
            {
                optionsEnded = true;
            }
        }

        result.MinOperands = min;
        result.MaxOperands = max;
        var mayRecurse = recursive || (result.MayBeAnyOption && spec.Recursive.Count > 0);
        foreach (var (word, low, high) in operands)
        {
            // An unknown word may stand for the option that replaces the first operand, but then it is not that operand.
            var others = 0;
            foreach (var unknown in result.UnknownOptionWords)
            {
                others += unknown.Word != word ? 1 : 0;
            }

            var mayReplaceFirst = replacesFirst || (others > 0 && spec.ReplacesFirstOperand.Count > 0);
            var first = replacesFirst ? low + 1 : low;
            var last = high == int.MaxValue ? int.MaxValue : mayReplaceFirst ? high + 1 : high;
            var end = spec.Operands.Count == 0 ? first : Math.Min(last, Math.Max(first, spec.Operands.Count - 1));
            var seen = 0UL;
            for (var position = first; position <= end; position++)
            {
                // Each kind once, in the order of the positions (a bit per kind: the enum is small).
                var kind = spec.OperandKind(position);
                if ((seen & (1UL << (int)kind)) == 0)
                {
                    seen |= 1UL << (int)kind;
                    AddOperandEffect(result, kind, word, recursive, mayRecurse);
                }
            }
        }

        if (spec.DefaultOperand is { } fallback && !spec.IsWrapper)
        {
            // No path given: the program works on its default (the working directory).
            var position = 0;
            while (position < spec.Operands.Count && spec.Operands[position] == ArgumentKind.Text)
            {
                position++;
            }

            if (min <= position)
            {
                var kind = spec.OperandKind(position);
                var word = new ShellWord(fallback, true);
                if (kind != ArgumentKind.Reads)
                {
                    AddOperandEffect(result, kind, word, recursive, mayRecurse);
                }
                else if (mayRecurse)
                {
                    Add(result, new CommandEffect(ArgumentKind.Recurses, word, null));
                }
            }
        }

        if (result.MayBeAnyOption)
        {
            AddUnknownOptionEffects(spec, result);
        }

        return result;
    }

    /// <summary>Reads the option word at <paramref name="i"/> (and its value); returns the index of the last word used.</summary>
    private static int Option(ProgramSpec spec, IReadOnlyList<ShellWord> words, int i, InterpretedArguments result, ref bool recursive, ref bool replacesFirst)
    {
        var text = words[i].Value;
        if (text.StartsWith("--", StringComparison.Ordinal) || spec.WholeWordOptions)
        {
            // A long option: its value attached after '=', or the next word.
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? text : text[..equals];
            return OneOption(spec, name, equals < 0 ? null : text[(equals + 1)..], words, i, result, ref recursive, ref replacesFirst) ?? i;
        }

        // A cluster of short options: each letter an option, until one that takes the rest of the word (or the next) as its value.
        for (var j = 1; j < text.Length; j++)
        {
            var attached = j + 1 < text.Length ? text[(j + 1)..] : null;
            if (OneOption(spec, "-" + text[j], attached, words, i, result, ref recursive, ref replacesFirst) is { } last)
            {
                return last;
            }
        }

        return i;
    }

    /// <summary>
    /// Applies one option (<paramref name="name"/>, with the text <paramref name="attached"/> to it, if any) of the word at
    /// <paramref name="i"/>. Returns the index of the last word used when the option ends the word (it took a value, or
    /// an unknown option made a wrapper opaque); null when the word may go on (a flag, or an unknown option that does nothing).
    /// </summary>
    private static int? OneOption(ProgramSpec spec, string name, string? attached, IReadOnlyList<ShellWord> words, int i, InterpretedArguments result, ref bool recursive, ref bool replacesFirst)
    {
        var option = spec.FindOption(name);
        if (option is null)
        {
            // Options listed only as recursive (ls -R) or the like are flags without effect of their own.
            recursive |= spec.Recursive.Contains(name);
            result.NoCommand |= spec.NoCommand.Contains(name);
            if (spec.IsWrapper && !spec.NoCommand.Contains(name))
            {
                result.OpaqueAt = words[i].Value;
                return i;
            }

            return null;
        }

        recursive |= spec.Recursive.Contains(option.Name);
        replacesFirst |= spec.ReplacesFirstOperand.Contains(option.Name);
        result.NoCommand |= spec.NoCommand.Contains(option.Name);
        if (!option.TakesValue)
        {
            AddFlagEffect(result, option);
            return null;
        }

        if (attached is not null)
        {
            AddValueEffect(result, option, new ShellWord(attached, true));
            return i;
        }

        if (option.OptionalValue)
        {
            return i;
        }

        if (i + 1 < words.Count)
        {
            AddValueEffect(result, option, words[i + 1]);
        }

        return i + 1;
    }

    private static void AddFlagEffect(InterpretedArguments result, OptionSpec option)
    {
        if (option.Kind != ArgumentKind.Text)
        {
            Add(result, new CommandEffect(option.Kind, null, option.Name));
        }
    }

    private static void AddValueEffect(InterpretedArguments result, OptionSpec option, ShellWord value)
    {
        switch (option.Kind)
        {
            case ArgumentKind.Text:
                return;
            case ArgumentKind.Runs or ArgumentKind.Changes or ArgumentKind.Evaluates:
                Add(result, new CommandEffect(option.Kind, null, option.Name));
                return;
            default:
                Add(result, new CommandEffect(option.Kind, value, option.Name));
                return;
        }
    }

    private static void AddOperandEffect(InterpretedArguments result, ArgumentKind kind, ShellWord word, bool recursive, bool mayRecurse)
    {
        switch (kind)
        {
            case ArgumentKind.Text or ArgumentKind.Command:
                return;
            case ArgumentKind.DateOrSet:
                if (!word.IsLiteral || !word.Value.StartsWith('+'))
                {
                    Add(result, new CommandEffect(ArgumentKind.Changes, null, "sets " + word.Value));
                }

                return;
            case ArgumentKind.Runs or ArgumentKind.Changes or ArgumentKind.Evaluates:
                Add(result, new CommandEffect(kind, null, word.Value));
                return;
            case ArgumentKind.Reads or ArgumentKind.Lists when recursive:
                Add(result, new CommandEffect(ArgumentKind.Recurses, word, null));
                return;
            case ArgumentKind.Reads or ArgumentKind.Lists when mayRecurse:
                Add(result, new CommandEffect(kind, word, null));
                Add(result, new CommandEffect(ArgumentKind.Recurses, word, null));
                return;
            default:
                Add(result, new CommandEffect(kind, word, null));
                return;
        }
    }

    /// <summary>A program the catalog does not describe: every argument that is not an option may be a path it reads.</summary>
    private static void Uncatalogued(IReadOnlyList<ShellWord> words, int from, InterpretedArguments result)
    {
        for (var i = from; i < words.Count; i++)
        {
            var word = words[i];
            if (word.IsLiteral)
            {
                var equals = word.Value.IndexOf('=', StringComparison.Ordinal);
                if (word.Value.StartsWith("--", StringComparison.Ordinal) && equals > 0)
                {
                    Add(result, new CommandEffect(ArgumentKind.Reads, new ShellWord(word.Value[(equals + 1)..], true), null));
                }
                else if (word.Value.Length > 0 && word.Value[0] != '-')
                {
                    Add(result, new CommandEffect(ArgumentKind.Reads, word, null));
                }

                continue;
            }

            if (word.MayBeOption)
            {
                result.MayBeAnyOption = true;
                result.UnknownOptionPrefixes.Add(TextPattern.LiteralPrefix(word.Pattern).ToString());
            }

            Add(result, new CommandEffect(ArgumentKind.Reads, word, null));
        }

        result.MaxOperands = int.MaxValue;
    }

    private static void Add(InterpretedArguments result, CommandEffect effect)
    {
        if (!result.Effects.Contains(effect))
        {
            result.Effects.Add(effect);
        }
    }

    internal static bool IsAssignment(string word)
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
}
