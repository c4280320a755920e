using System.Text;

namespace Broker.Policy.Patterns;

/// <summary>
/// The set of strings a word, a rule glob or a protected path can stand for, as a sequence of
/// literal characters and wildcard symbols. Words use it to say what an expansion may become
/// (<c>src/*.c</c> is <c>src/</c>, a file-name run, <c>.c</c>; <c>"$x"</c> is any text); the engine
/// asks whether two patterns have a string in common (<see cref="PatternIntersection"/>).
/// Wildcards are private-use characters, which never reach a pattern as literals
/// (<see cref="Append(StringBuilder, char)"/> turns such a character into <see cref="GlobOne"/>).
/// </summary>
internal static class TextPattern
{
    /// <summary>Any text, <c>/</c> included (an expansion whose value is unknown).</summary>
    public const char AnyText = '\uE000';

    /// <summary>A bash glob <c>*</c>: any run without <c>/</c>, never starting a path component with <c>.</c>.</summary>
    public const char GlobRun = '\uE001';

    /// <summary>A bash glob <c>?</c> or bracket expression: one character, not <c>/</c>, not a leading <c>.</c>.</summary>
    public const char GlobOne = '\uE002';

    /// <summary>One character of any kind (a rule glob's <c>?</c>).</summary>
    public const char AnyOne = '\uE003';

    /// <summary>A run without <c>/</c>, leading dots included (a protected path's <c>*</c>).</summary>
    public const char SegmentRun = '\uE004';

    /// <summary>One character other than <c>/</c> (a protected path's <c>?</c>).</summary>
    public const char SegmentOne = '\uE005';

    /// <summary>Zero or more whole components each followed by <c>/</c> (a protected path's <c>**/</c>).</summary>
    public const char Directories = '\uE006';

    /// <summary>Nothing, or <c>/</c> and anything (a protected path's trailing <c>/**</c>: the directory and all below it).</summary>
    public const char Subtree = '\uE007';

    /// <summary>One decimal digit (a number such as <c>$?</c> or <c>$#</c>).</summary>
    public const char Digit = '\uE008';

    /// <summary>A run of decimal digits, possibly empty.</summary>
    public const char DigitRun = '\uE009';

    /// <summary>The session's home directory (<c>~</c>, <c>$HOME</c> at the start of a word); the engine substitutes it, or any absolute path when it is unknown.</summary>
    public const char Home = '\uE00A';

    /// <summary>Separates alternatives: the pattern stands for the strings of any of them (a loop variable's values).</summary>
    public const char Or = '\uE00B';

    // Any text starting with '-': what could be an option (asked of most unknown words).
    private static readonly string OptionStart = "-" + AnyText;

    /// <summary>Whether <paramref name="c"/> is one of the wildcard symbols.</summary>
    public static bool IsWildcard(char c) => c is >= AnyText and <= Or;

    /// <summary>The alternatives of a pattern (itself when it has none).</summary>
    public static string[] Alternatives(string pattern) => pattern.Contains(Or, StringComparison.Ordinal) ? pattern.Split(Or) : [pattern];

    /// <summary>A pattern standing for the strings of any of <paramref name="patterns"/>.</summary>
    public static string Union(IEnumerable<string> patterns) => string.Join(Or, patterns.Distinct(StringComparer.Ordinal));

    /// <summary>Appends a literal character (a private-use character that could be read as a wildcard becomes <see cref="GlobOne"/>).</summary>
    public static void Append(StringBuilder pattern, char c) => pattern.Append(IsWildcard(c) ? GlobOne : c);

    /// <summary>The pattern of a literal string.</summary>
    public static string Literal(string value)
    {
        if (value.AsSpan().IndexOfAnyInRange(AnyText, Or) < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            Append(builder, c);
        }

        return builder.ToString();
    }

    /// <summary>True when the pattern holds no wildcard (it stands for exactly one string).</summary>
    public static bool IsLiteral(string pattern) => pattern.AsSpan().IndexOfAnyInRange(AnyText, Or) < 0;

    /// <summary>True when <paramref name="pattern"/> (a part of a pattern) holds no wildcard.</summary>
    public static bool IsWildcardFree(ReadOnlySpan<char> pattern) => pattern.IndexOfAnyInRange(AnyText, Or) < 0;

    /// <summary>The literal characters before the first wildcard.</summary>
    public static ReadOnlySpan<char> LiteralPrefix(string pattern)
    {
        var first = pattern.AsSpan().IndexOfAnyInRange(AnyText, Or);
        return first < 0 ? pattern : pattern.AsSpan(0, first);
    }

    /// <summary>Whether some string of the pattern can start with <paramref name="prefix"/> (e.g. <c>-</c>: could it be an option?).</summary>
    public static bool MayStartWith(string pattern, string prefix)
    {
        var probe = prefix == "-" ? OptionStart : Literal(prefix) + AnyText;
        foreach (var alternative in Alternatives(pattern))
        {
            if (alternative.Length > 0 && alternative[0] == Home ? prefix.Length == 0 || prefix[0] == '/' : PatternIntersection.Intersects(alternative, probe))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A rule glob (<c>*</c> any run, <c>?</c> one character, both crossing <c>/</c>) as a pattern.</summary>
    public static string FromRuleGlob(string glob)
    {
        var builder = new StringBuilder(glob.Length);
        foreach (var c in glob)
        {
            switch (c)
            {
                case '*':
                    builder.Append(AnyText);
                    break;
                case '?':
                    builder.Append(AnyOne);
                    break;
                default:
                    Append(builder, c);
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Shows a pattern for people: wildcards as <c>*</c>, <c>?</c> and <c>**</c>.</summary>
    public static string Display(string pattern)
    {
        if (IsLiteral(pattern))
        {
            return pattern;
        }

        var builder = new StringBuilder(pattern.Length + 8);
        foreach (var c in pattern)
        {
            builder.Append(c switch
            {
                AnyText => "…",
                GlobRun or SegmentRun => "*",
                GlobOne or AnyOne or SegmentOne => "?",
                Directories => "**/",
                Digit or DigitRun => "#",
                Home => "~",
                Or => " | ",
                Subtree => "/**",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }
}
