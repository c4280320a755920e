namespace Broker.Policy.Configuration;

/// <summary>Checks a rule's inline examples: each <c>match</c> example must match the rule, no <c>not_match</c> example may.</summary>
internal static class ExampleChecker
{
    public static IEnumerable<ExampleResult> Run(PolicyEngine engine, PolicyRule rule)
    {
        foreach (var example in rule.MatchExamples)
        {
            var matches = engine.ExampleMatches(rule, example, out var parseError);
            yield return new ExampleResult(example, true, matches ? null : parseError is null
                ? $"example '{example}' should match but does not"
                : $"example '{example}' cannot be parsed: {parseError}");
        }

        foreach (var example in rule.NotMatchExamples)
        {
            var matches = engine.ExampleMatches(rule, example, out _);
            yield return new ExampleResult(example, false, matches ? $"example '{example}' should not match but does" : null);
        }
    }
}

/// <summary>The outcome of one inline example; <see cref="Failure"/> is null when it passed.</summary>
internal readonly record struct ExampleResult(string Example, bool ShouldMatch, string? Failure);
