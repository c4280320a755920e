using Broker.Policy.Commands;

namespace Broker.Policy.Catalog;

/// <summary>Checks a catalog entry's examples: each command must have exactly the listed effects.</summary>
internal static class CatalogExamples
{
    /// <summary>One message per failing example.</summary>
    public static IEnumerable<string> Check(PolicyEngine engine, IEnumerable<ProgramSpec> programs)
    {
        foreach (var spec in programs)
        {
            foreach (var example in spec.Examples)
            {
                if (Failure(engine, example) is { } failure)
                {
                    yield return $"program '{spec.Name}': example '{example.Command}' ({example.Location}): {failure}";
                }
            }
        }
    }

    /// <summary>Null when the example holds; otherwise what differs.</summary>
    public static string? Failure(PolicyEngine engine, CatalogExample example)
    {
        var parsed = ShellParser.Parse(example.Command);
        if (!parsed.Succeeded || parsed.Script!.Commands.Count == 0)
        {
            return "cannot be parsed: " + (parsed.Error ?? "no command");
        }

        var units = new List<Decisions.CommandUnit>();
        engine.Unwrapper.Unwrap(parsed.Script.Commands[^1], units);
        var actual = units
            .SelectMany(u => u.Wrappers.Append(u.Target))
            .SelectMany(c => c.Interpretation.Effects)
            .Select(e => e.ToString())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var expected = example.Effects.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return actual.SequenceEqual(expected, StringComparer.Ordinal)
            ? null
            : $"effects are [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]";
    }
}
