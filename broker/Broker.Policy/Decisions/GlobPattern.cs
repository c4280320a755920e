namespace Broker.Policy.Decisions;

/// <summary>A glob with <c>*</c> (any run of characters) and <c>?</c> (one character); everything else is literal.</summary>
internal sealed class GlobPattern
{
    private readonly StringComparison _comparison;
    private string? _textPattern;

    public GlobPattern(string pattern, bool ignoreCase = false)
    {
        Pattern = pattern;
        IsLiteral = pattern.AsSpan().IndexOfAny('*', '?') < 0;
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
    }

    public string Pattern { get; }

    /// <summary>The glob as a <see cref="Patterns.TextPattern"/>, to intersect with what an unknown word may be.</summary>
    public string AsTextPattern => _textPattern ??= Patterns.TextPattern.FromRuleGlob(Pattern);

    public bool IsLiteral { get; }

    public bool IgnoreCase => _comparison == StringComparison.OrdinalIgnoreCase;

    public bool IsMatch(string value) => IsMatch(value.AsSpan());

    public bool IsMatch(ReadOnlySpan<char> v)
    {
        var p = Pattern.AsSpan();
        if (IsLiteral)
        {
            return p.Equals(v, _comparison);
        }

        int pi = 0, vi = 0, star = -1, resume = 0;
        while (vi < v.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                star = pi++;
                resume = vi;
            }
            else if (pi < p.Length && (p[pi] == '?' || CharEquals(p[pi], v[vi])))
            {
                pi++;
                vi++;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                vi = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }

    public static bool AnyMatch(GlobPattern[] patterns, string value)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(value))
            {
                return true;
            }
        }

        return false;
    }

    private bool CharEquals(char a, char b) =>
        a == b || (_comparison == StringComparison.OrdinalIgnoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));

    public override string ToString() => Pattern;
}
