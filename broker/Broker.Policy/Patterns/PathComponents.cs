namespace Broker.Policy.Patterns;

/// <summary>
/// A quick test, before the automaton walk, that settles most pairs of paths under different directories:
/// <c>/home/agent/project/*.c</c> and <c>/home/*/.ssh/**</c> meet nowhere, because their third components are
/// different literal names. As long as every wildcard so far stays inside one component, each <c>/</c> of a pattern
/// is a <c>/</c> of every string it stands for, so the patterns' components correspond one to one.
/// </summary>
internal static class PathComponents
{
    /// <summary>
    /// True when no string can match both <paramref name="a"/> and <paramref name="b"/> because, before either holds a
    /// wildcard that could span a <c>/</c>, a component of one is a literal name the same component of the other is not.
    /// False means the walk must decide. Both start at the same place of a path (after the literal text they share).
    /// </summary>
    public static bool Disagree(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        while (true)
        {
            var endA = a.IndexOf('/');
            var endB = b.IndexOf('/');
            var componentA = endA < 0 ? a : a[..endA];
            var componentB = endB < 0 ? b : b[..endB];

            // "NAME/**" is NAME, or NAME and something below it: its component is NAME whichever it is.
            var lastA = TrimSubtree(ref componentA);
            var lastB = TrimSubtree(ref componentB);
            if (!WithinComponent(componentA) || !WithinComponent(componentB))
            {
                return false;
            }

            if (TextPattern.IsWildcardFree(componentA) && TextPattern.IsWildcardFree(componentB) && !componentA.SequenceEqual(componentB))
            {
                return true;
            }

            if (lastA || lastB || endA < 0 || endB < 0)
            {
                return false;
            }

            a = a[(endA + 1)..];
            b = b[(endB + 1)..];
        }
    }

    private static bool TrimSubtree(ref ReadOnlySpan<char> component)
    {
        if (component.Length > 0 && component[^1] == TextPattern.Subtree)
        {
            component = component[..^1];
            return true;
        }

        return false;
    }

    /// <summary>Whether every string of <paramref name="component"/> is free of <c>/</c> (it has no wildcard that may hold one).</summary>
    private static bool WithinComponent(ReadOnlySpan<char> component)
    {
        foreach (var c in component)
        {
            if (TextPattern.IsWildcard(c) && c is not (TextPattern.GlobRun or TextPattern.GlobOne or TextPattern.SegmentRun or TextPattern.SegmentOne or TextPattern.Digit or TextPattern.DigitRun))
            {
                return false;
            }
        }

        return true;
    }
}
