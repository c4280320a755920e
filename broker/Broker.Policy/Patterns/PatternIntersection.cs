using System.Buffers;
using System.Runtime.InteropServices;

namespace Broker.Policy.Patterns;

/// <summary>
/// Decides whether two <see cref="TextPattern"/> patterns share a string, by walking both as
/// automata in step over a small alphabet (their literal characters, <c>/</c>, <c>.</c> and one
/// stand-in for every other character). Cost is bounded by the product of the lengths; no recursion.
/// Literal text the two patterns begin and end with is compared first and left out of the walk: most
/// questions the engine asks (does <c>/home/agent/project/*.c</c> meet <c>/etc/shadow</c>?) are settled
/// there; pairs whose components differ by name before any wildcard that may span a <c>/</c> (see
/// <see cref="PathComponents"/>) are settled next, and the rest walk only the parts after the common directory. The walk works in pooled or stack
/// buffers, so a decision that checks many paths against many protected patterns allocates nothing here.
/// </summary>
internal static class PatternIntersection
{
    private const char Other = '\u0001';

    // Bigger state sets than this come from the pool instead of the stack.
    private const int StackStates = 256;

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

    /// <summary>Whether the literal string <paramref name="value"/> is one of the strings of <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string value)
    {
        if (pattern.Contains(TextPattern.Or, StringComparison.Ordinal))
        {
            foreach (var alternative in TextPattern.Alternatives(pattern))
            {
                if (MatchesOne(alternative, value))
                {
                    return true;
                }
            }

            return false;
        }

        return MatchesOne(pattern, value);
    }

    private static bool IntersectsOne(string a, string b)
    {
        if (TextPattern.IsLiteral(a))
        {
            return !PathComponents.Disagree(a, b) && MatchesOne(b, a);
        }

        if (TextPattern.IsLiteral(b))
        {
            return !PathComponents.Disagree(a, b) && MatchesOne(a, b);
        }

        if (!TrimCommonLiterals(a, b, out var prefix, out var suffix))
        {
            return false;
        }

        var atStart = prefix == 0 || a[prefix - 1] == '/';
        var restA = a.AsSpan(prefix, a.Length - prefix - suffix);
        var restB = b.AsSpan(prefix, b.Length - prefix - suffix);
        return !PathComponents.Disagree(restA, restB) && Walk(restA, restB, atStart);
    }

    /// <summary>
    /// The literal text both patterns start (and end) with, up to the first (from the last) wildcard of either; false
    /// when they disagree there, which no string can satisfy. Each literal character matches exactly itself, so the
    /// question reduces to the parts in between, starting after the prefix (at a component start if it ends in '/').
    /// </summary>
    private static bool TrimCommonLiterals(string a, string b, out int prefix, out int suffix)
    {
        prefix = 0;
        suffix = 0;
        var shorter = Math.Min(a.Length, b.Length);
        while (prefix < shorter && !TextPattern.IsWildcard(a[prefix]) && !TextPattern.IsWildcard(b[prefix]))
        {
            if (a[prefix] != b[prefix])
            {
                return false;
            }

            prefix++;
        }

        while (suffix < shorter - prefix)
        {
            var x = a[a.Length - 1 - suffix];
            var y = b[b.Length - 1 - suffix];
            if (TextPattern.IsWildcard(x) || TextPattern.IsWildcard(y))
            {
                break;
            }

            if (x != y)
            {
                return false;
            }

            suffix++;
        }

        return true;
    }

    /// <summary>The walk in step over pairs of states (each pattern's state, and whether a component starts here).</summary>
    private static bool Walk(ReadOnlySpan<char> a, ReadOnlySpan<char> b, bool startsComponent)
    {
        Span<char> alphabetBuffer = stackalloc char[a.Length + b.Length + 5];
        var alphabet = Alphabet(a, b, alphabetBuffer);
        var stride = (b.Length + 1) * 2;
        var states = (a.Length + 1) * 2 * stride * 2;
        var visitedArray = ArrayPool<bool>.Shared.Rent(states);
        var queueArray = ArrayPool<int>.Shared.Rent(states);
        try
        {
            var visited = visitedArray.AsSpan(0, states);
            visited.Clear();
            var queue = queueArray.AsSpan(0, states);
            int head = 0, tail = 0;
            Span<int> nextA = stackalloc int[2];
            Span<int> nextB = stackalloc int[2];
            Span<int> closureA = stackalloc int[a.Length + 1];
            Span<int> closureB = stackalloc int[b.Length + 1];
            var countA = PatternAutomaton.Closure(a, 0, 0, closureA);
            var countB = PatternAutomaton.Closure(b, 0, 0, closureB);
            for (var i = 0; i < countA; i++)
            {
                for (var j = 0; j < countB; j++)
                {
                    Visit(closureA[i], closureB[j], startsComponent, stride, visited, queue, ref tail);
                }
            }

            while (head < tail)
            {
                var state = queue[head++];
                var atStart = (state & 1) == 1;
                var rest = state >> 1;
                var sb = rest % stride;
                var sa = rest / stride;
                if (sa >> 1 == a.Length && sb >> 1 == b.Length)
                {
                    return true;
                }

                // A literal symbol on either side consumes only itself: try just that character (most states of a
                // path are in its literal components); only where both sides are wildcards does the whole alphabet matter.
                var only = LiteralAt(a, sa >> 1) ?? LiteralAt(b, sb >> 1);
                foreach (var c in only is { } single ? MemoryMarshal.CreateReadOnlySpan(ref single, 1) : alphabet)
                {
                    var steppedA = PatternAutomaton.Step(a, sa, c, atStart, nextA);
                    if (steppedA == 0)
                    {
                        continue;
                    }

                    var steppedB = PatternAutomaton.Step(b, sb, c, atStart, nextB);
                    for (var i = 0; i < steppedA; i++)
                    {
                        countA = PatternAutomaton.Closure(a, nextA[i] >> 1, nextA[i] & 1, closureA);
                        for (var j = 0; j < steppedB; j++)
                        {
                            countB = PatternAutomaton.Closure(b, nextB[j] >> 1, nextB[j] & 1, closureB);
                            for (var x = 0; x < countA; x++)
                            {
                                for (var y = 0; y < countB; y++)
                                {
                                    Visit(closureA[x], closureB[y], c == '/', stride, visited, queue, ref tail);
                                }
                            }
                        }
                    }
                }
            }

            return false;
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(visitedArray);
            ArrayPool<int>.Shared.Return(queueArray);
        }
    }

    /// <summary>The literal character at <paramref name="index"/>, or null at a wildcard or the end.</summary>
    private static char? LiteralAt(ReadOnlySpan<char> pattern, int index) =>
        index < pattern.Length && !TextPattern.IsWildcard(pattern[index]) ? pattern[index] : null;

    private static void Visit(int sa, int sb, bool atStart, int stride, Span<bool> visited, Span<int> queue, ref int tail)
    {
        var key = (((sa * stride) + sb) << 1) | (atStart ? 1 : 0);
        if (!visited[key])
        {
            visited[key] = true;
            queue[tail++] = key;
        }
    }

    private static bool MatchesOne(string pattern, string value)
    {
        if (TextPattern.IsLiteral(pattern))
        {
            return string.Equals(pattern, value, StringComparison.Ordinal);
        }

        // The pattern's literal prefix must be the value's (a path under another directory is settled here).
        var literal = TextPattern.LiteralPrefix(pattern);
        if (!value.AsSpan().StartsWith(literal, StringComparison.Ordinal))
        {
            return false;
        }

        var states = (pattern.Length + 1) * 2;
        var rented = states > StackStates ? ArrayPool<bool>.Shared.Rent(states * 2) : null;
        try
        {
            var buffer = rented is null ? stackalloc bool[states * 2] : rented.AsSpan(0, states * 2);
            buffer.Clear();
            return MatchesFrom(pattern, value, literal.Length, buffer[..states], buffer[states..]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<bool>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Runs the pattern's automaton over <paramref name="value"/> from <paramref name="start"/> (the literal prefix is matched).</summary>
    private static bool MatchesFrom(string pattern, string value, int start, Span<bool> current, Span<bool> next)
    {
        Span<int> closure = stackalloc int[pattern.Length + 1];
        Span<int> stepped = stackalloc int[2];
        var count = PatternAutomaton.Closure(pattern, start, 0, closure);
        var live = 0;
        for (var i = 0; i < count; i++)
        {
            current[closure[i]] = true;
            live++;
        }

        var atStart = start == 0 || value[start - 1] == '/';
        for (var position = start; position < value.Length; position++)
        {
            var raw = value[position];
            var c = TextPattern.IsWildcard(raw) ? Other : raw;
            next.Clear();
            live = 0;
            for (var state = 0; state < current.Length; state++)
            {
                if (!current[state])
                {
                    continue;
                }

                var steps = PatternAutomaton.Step(pattern, state, c, atStart, stepped);
                for (var i = 0; i < steps; i++)
                {
                    count = PatternAutomaton.Closure(pattern, stepped[i] >> 1, stepped[i] & 1, closure);
                    for (var j = 0; j < count; j++)
                    {
                        if (!next[closure[j]])
                        {
                            next[closure[j]] = true;
                            live++;
                        }
                    }
                }
            }

            if (live == 0)
            {
                return false;
            }

            var swap = current;
            current = next;
            next = swap;
            atStart = c == '/';
        }

        // The final states: the whole pattern consumed (either sub-state).
        return current[pattern.Length << 1] || current[(pattern.Length << 1) | 1];
    }

    private static ReadOnlySpan<char> Alphabet(ReadOnlySpan<char> a, ReadOnlySpan<char> b, Span<char> into)
    {
        var count = 0;
        foreach (var c in "/.0-\u0001")
        {
            into[count++] = c;
        }

        foreach (var c in a)
        {
            if (!TextPattern.IsWildcard(c) && into[..count].IndexOf(c) < 0)
            {
                into[count++] = c;
            }
        }

        foreach (var c in b)
        {
            if (!TextPattern.IsWildcard(c) && into[..count].IndexOf(c) < 0)
            {
                into[count++] = c;
            }
        }

        return into[..count];
    }
}
