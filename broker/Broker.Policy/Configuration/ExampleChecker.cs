namespace Broker.Policy.Configuration;

/// <summary>Checks a rule's inline examples: each <c>match</c> example must match the rule, no <c>not_match</c> example may.</summary>
internal static class ExampleChecker
{
    public static IEnumerable<string> Check(PolicyEngine engine, PolicyRule rule)
    {
        foreach (var example in rule.MatchExamples)
        {
            if (!engine.ExampleMatches(rule, example, out var parseError))
            {
                yield return parseError is null
                    ? $"example '{example}' should match but does not"
                    : $"example '{example}' cannot be parsed: {parseError}";
            }
        }

        foreach (var example in rule.NotMatchExamples)
        {
            if (engine.ExampleMatches(rule, example, out _))
            {
                yield return $"example '{example}' should not match but does";
            }
        }
    }
}
