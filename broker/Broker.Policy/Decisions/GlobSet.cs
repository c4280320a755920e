namespace Broker.Policy.Decisions;

/// <summary>
/// Globs matched together: the literal, case-sensitive ones (most of a rule's program list) by one hash lookup, the
/// rest one by one. A rule listing a hundred programs then costs one lookup per command, not a hundred comparisons.
/// </summary>
internal sealed class GlobSet
{
    private readonly HashSet<string> _literals = new(StringComparer.Ordinal);
    private readonly GlobPattern[] _others;

    public GlobSet(IReadOnlyList<GlobPattern> patterns)
    {
        var others = new List<GlobPattern>();
        foreach (var pattern in patterns)
        {
            if (pattern.IsLiteral && !pattern.IgnoreCase)
            {
                _literals.Add(pattern.Pattern);
            }
            else
            {
                others.Add(pattern);
            }
        }

        _others = [.. others];
    }

    /// <summary>Whether any of the globs matches <paramref name="value"/>.</summary>
    public bool IsMatch(string value) => _literals.Contains(value) || GlobPattern.AnyMatch(_others, value);
}
