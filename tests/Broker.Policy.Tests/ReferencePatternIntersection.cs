using Broker.Policy.Patterns;

namespace Broker.Policy.Tests;

/// <summary>
/// The engine's pattern intersection as it was before it was made fast (no literal trimming, fresh collections per
/// call), kept unchanged as the oracle the fast one is compared with on random patterns.
/// </summary>
internal static class ReferencePatternIntersection
{
    private const char Other = '\u0001';

    /// <summary>Whether some string matches both <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static bool Intersects(string a, string b)
    {
        if (a.Contains(TextPattern.Or, StringComparison.Ordinal) || b.Contains(TextPattern.Or, StringComparison.Ordinal))
        {
            foreach (var left in TextPattern.Alternatives(a))
            {
                foreach (var right in TextPattern.Alternatives(b))
                {
                    if (IntersectsOne(left, right))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        return IntersectsOne(a, b);
    }

    private static bool IntersectsOne(string a, string b)
    {
        if (TextPattern.IsLiteral(a))
        {
            return Matches(b, a);
        }

        if (TextPattern.IsLiteral(b))
        {
            return Matches(a, b);
        }

        var alphabet = Alphabet(a, b);
        var stride = (b.Length + 1) * 2;
        var visited = new bool[(a.Length + 1) * 2 * stride * 2];
        var queue = new Queue<int>();
        Span<int> nextA = stackalloc int[8];
        Span<int> nextB = stackalloc int[8];
        var startA = new List<int>(4);
        var startB = new List<int>(4);
        Closure(a, 0, 0, startA);
        Closure(b, 0, 0, startB);
        foreach (var sa in startA)
        {
            foreach (var sb in startB)
            {
                Visit(sa, sb, atStart: true);
            }
        }

        var closureA = new List<int>(4);
        var closureB = new List<int>(4);
        while (queue.Count > 0)
        {
            var state = queue.Dequeue();
            var atStart = (state & 1) == 1;
            var rest = state >> 1;
            var sb = rest % stride;
            var sa = rest / stride;
            if (sa >> 1 == a.Length && sb >> 1 == b.Length)
            {
                return true;
            }

            foreach (var c in alphabet)
            {
                var countA = Step(a, sa, c, atStart, nextA);
                if (countA == 0)
                {
                    continue;
                }

                var countB = Step(b, sb, c, atStart, nextB);
                for (var i = 0; i < countA; i++)
                {
                    closureA.Clear();
                    Closure(a, nextA[i] >> 1, nextA[i] & 1, closureA);
                    for (var j = 0; j < countB; j++)
                    {
                        closureB.Clear();
                        Closure(b, nextB[j] >> 1, nextB[j] & 1, closureB);
                        foreach (var ca in closureA)
                        {
                            foreach (var cb in closureB)
                            {
                                Visit(ca, cb, c == '/');
                            }
                        }
                    }
                }
            }
        }

        return false;

        void Visit(int sa, int sb, bool atStart)
        {
            var key = (((sa * stride) + sb) << 1) | (atStart ? 1 : 0);
            if (!visited[key])
            {
                visited[key] = true;
                queue.Enqueue(key);
            }
        }
    }

    /// <summary>Whether the literal string <paramref name="value"/> is one of the strings of <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string value)
    {
        if (pattern.Contains(TextPattern.Or, StringComparison.Ordinal))
        {
            return TextPattern.Alternatives(pattern).Any(alternative => MatchesOne(alternative, value));
        }

        return MatchesOne(pattern, value);
    }

    private static bool MatchesOne(string pattern, string value)
    {
        if (TextPattern.IsLiteral(pattern))
        {
            return string.Equals(pattern, value, StringComparison.Ordinal);
        }

        var current = new HashSet<int>();
        var next = new HashSet<int>();
        var closure = new List<int>(4);
        Closure(pattern, 0, 0, closure);
        current.UnionWith(closure);
        Span<int> stepped = stackalloc int[8];
        var atStart = true;
        foreach (var raw in value)
        {
            var c = TextPattern.IsWildcard(raw) ? Other : raw;
            next.Clear();
            foreach (var state in current)
            {
                var count = Step(pattern, state, c, atStart, stepped);
                for (var i = 0; i < count; i++)
                {
                    closure.Clear();
                    Closure(pattern, stepped[i] >> 1, stepped[i] & 1, closure);
                    next.UnionWith(closure);
                }
            }

            (current, next) = (next, current);
            if (current.Count == 0)
            {
                return false;
            }

            atStart = c == '/';
        }

        foreach (var state in current)
        {
            if (state >> 1 == pattern.Length)
            {
                return true;
            }
        }

        return false;
    }

    private static List<char> Alphabet(string a, string b)
    {
        var set = new HashSet<char> { '/', '.', '0', '-', Other };
        foreach (var c in a)
        {
            if (!TextPattern.IsWildcard(c))
            {
                set.Add(c);
            }
        }

        foreach (var c in b)
        {
            if (!TextPattern.IsWildcard(c))
            {
                set.Add(c);
            }
        }

        return [.. set];
    }

    // A state is (index << 1) | sub, where sub marks being inside a multi-character symbol.

    /// <summary>Adds every state reachable from (index, sub) without consuming a character.</summary>
    private static void Closure(string pattern, int index, int sub, List<int> into)
    {
        while (true)
        {
            var state = (index << 1) | sub;
            if (!into.Contains(state))
            {
                into.Add(state);
            }

            if (index >= pattern.Length)
            {
                return;
            }

            var symbol = pattern[index];
            var skippable = symbol switch
            {
                TextPattern.AnyText or TextPattern.GlobRun or TextPattern.SegmentRun or TextPattern.DigitRun or TextPattern.Home => true,
                TextPattern.Directories => sub == 0,
                TextPattern.Subtree => true,
                _ => false,
            };
            if (!skippable)
            {
                return;
            }

            index++;
            sub = 0;
        }
    }

    /// <summary>The states reached from <paramref name="state"/> by consuming <paramref name="c"/>.</summary>
    private static int Step(string pattern, int state, char c, bool atStart, Span<int> into)
    {
        var index = state >> 1;
        var sub = state & 1;
        if (index >= pattern.Length)
        {
            return 0;
        }

        var symbol = pattern[index];
        var count = 0;
        switch (symbol)
        {
            case TextPattern.AnyText or TextPattern.Home:
                into[count++] = index << 1;
                break;
            case TextPattern.Digit:
                if (char.IsAsciiDigit(c))
                {
                    into[count++] = (index + 1) << 1;
                }

                break;
            case TextPattern.DigitRun:
                if (char.IsAsciiDigit(c))
                {
                    into[count++] = index << 1;
                }

                break;
            case TextPattern.GlobRun:
                if (c != '/' && !(c == '.' && atStart))
                {
                    into[count++] = index << 1;
                }

                break;
            case TextPattern.GlobOne:
                if (c != '/' && !(c == '.' && atStart))
                {
                    into[count++] = (index + 1) << 1;
                }

                break;
            case TextPattern.AnyOne:
                into[count++] = (index + 1) << 1;
                break;
            case TextPattern.SegmentRun:
                if (c != '/')
                {
                    into[count++] = index << 1;
                }

                break;
            case TextPattern.SegmentOne:
                if (c != '/')
                {
                    into[count++] = (index + 1) << 1;
                }

                break;
            case TextPattern.Directories:
                // Inside the run of directories: anything; a '/' may end it.
                into[count++] = (index << 1) | 1;
                if (c == '/')
                {
                    into[count++] = (index + 1) << 1;
                }

                break;
            case TextPattern.Subtree:
                if (sub == 1 || c == '/')
                {
                    into[count++] = (index << 1) | 1;
                }

                break;
            default:
                if (symbol == c)
                {
                    into[count++] = (index + 1) << 1;
                }

                break;
        }

        return count;
    }
}
