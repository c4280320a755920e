namespace Broker.Policy.Patterns;

/// <summary>
/// A <see cref="TextPattern"/> as an automaton: what each symbol consumes, and which symbols may be skipped. The
/// intersection and the matcher both run it (<see cref="PatternIntersection"/>).
/// </summary>
internal static class PatternAutomaton
{
    // A state is (index << 1) | sub, where sub marks being inside a multi-character symbol.

    /// <summary>Writes every state reachable from (index, sub) without consuming a character; returns how many.</summary>
    public static int Closure(ReadOnlySpan<char> pattern, int index, int sub, Span<int> into)
    {
        var count = 0;
        while (true)
        {
            into[count++] = (index << 1) | sub;
            if (index >= pattern.Length)
            {
                return count;
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
                return count;
            }

            index++;
            sub = 0;
        }
    }

    /// <summary>The states reached from <paramref name="state"/> by consuming <paramref name="c"/>.</summary>
    public static int Step(ReadOnlySpan<char> pattern, int state, char c, bool atStart, Span<int> into)
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
