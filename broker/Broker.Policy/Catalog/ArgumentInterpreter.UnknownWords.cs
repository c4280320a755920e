using Broker.Policy.Commands;
using Broker.Policy.Patterns;

namespace Broker.Policy.Catalog;

/// <summary>Words whose value is unknown that may be options: every option their literal prefix allows, and the values it may take.</summary>
internal static partial class ArgumentInterpreter
{
    /// <summary>
    /// Every effect an option compatible with an unknown word's prefix could have. Its value is either attached (the
    /// rest of the unknown word: a file name when the word is a glob without '/', any text otherwise) or the next word.
    /// </summary>
    private static void AddUnknownOptionEffects(ProgramSpec spec, InterpretedArguments result)
    {
        foreach (var (word, next) in result.UnknownOptionWords)
        {
            var prefix = TextPattern.LiteralPrefix(word.Pattern).ToString();
            var attached = AttachedValue(word);
            foreach (var option in spec.Options.Values)
            {
                if (option.Kind == ArgumentKind.Text || !Compatible(prefix, option.Name))
                {
                    continue;
                }

                if (!option.TakesValue || option.Kind is ArgumentKind.Runs or ArgumentKind.Changes or ArgumentKind.Evaluates)
                {
                    Add(result, new CommandEffect(option.Kind, null, option.Name));
                    continue;
                }

                if (!spec.NoAttachedValues)
                {
                    Add(result, new CommandEffect(option.Kind, attached, option.Name));
                }

                if (next is { } value && !option.OptionalValue)
                {
                    Add(result, new CommandEffect(option.Kind, value, option.Name));
                }
            }
        }
    }

    /// <summary>What an option's attached value may be when the option is spelled by an unknown word.</summary>
    private static ShellWord AttachedValue(ShellWord word)
    {
        // Only the values that can be an option matter (an unmatched glob's own text cannot start with '-').
        var optionLike = TextPattern.Alternatives(word.Pattern).Where(a => TextPattern.MayStartWith(a, "-")).ToList();
        var pattern = optionLike.Count == 1 ? optionLike[0] : word.Pattern;
        var last = pattern.AsSpan().LastIndexOfAnyInRange(TextPattern.AnyText, TextPattern.Or);
        if (pattern.Contains(TextPattern.AnyText, StringComparison.Ordinal) || pattern.Contains(TextPattern.Home, StringComparison.Ordinal)
            || pattern.Contains(TextPattern.Or, StringComparison.Ordinal) || pattern.Contains('/', StringComparison.Ordinal) || last < 0)
        {
            return new ShellWord("…", false);
        }

        // A glob without '/': the value is a file name in the working directory ending like the word.
        return new ShellWord(word.Value, false, TextPattern.SegmentRun + pattern[(last + 1)..], false);
    }

    /// <summary>Whether a word starting with <paramref name="prefix"/> could be (or, for short options, contain) <paramref name="option"/>.</summary>
    private static bool Compatible(string prefix, string option)
    {
        if (prefix.Length <= 1 || option.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(option, StringComparison.Ordinal))
        {
            return true;
        }

        // "-x…" is a cluster of short options: any short option may follow.
        return !prefix.StartsWith("--", StringComparison.Ordinal) && !option.StartsWith("--", StringComparison.Ordinal);
    }
}
