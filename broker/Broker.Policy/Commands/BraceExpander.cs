using System.Globalization;

namespace Broker.Policy.Commands;

/// <summary>
/// Bash's brace expansion on the raw text of one word (quotes still in it): <c>a{b,c}d</c>, nested braces,
/// <c>{1..5}</c>, <c>{01..10..2}</c>, <c>{a..e}</c>. Quoted braces, <c>${…}</c>, <c>$(…)</c> and backticks are left
/// alone. The pieces are raw text again (the caller reads each as a word). Null when the result would be longer
/// than the limit or the text is beyond what this expander follows.
/// </summary>
internal static class BraceExpander
{
    public static List<string>? Expand(string raw, int limit)
    {
        var results = new List<string>();
        var work = new Stack<string>();
        work.Push(raw);
        var steps = 0;
        while (work.Count > 0)
        {
            if (++steps > limit * 8)
            {
                return null;
            }

            var text = work.Pop();
            var brace = FindBrace(text);
            if (brace is not { } found)
            {
                results.Add(text);
                if (results.Count > limit)
                {
                    return null;
                }

                continue;
            }

            var (open, close, alternatives) = found;
            var preamble = text[..open];
            var postscript = text[(close + 1)..];
            if (alternatives.Count * (results.Count + work.Count + 1) > limit * 4)
            {
                return null;
            }

            for (var i = alternatives.Count - 1; i >= 0; i--)
            {
                work.Push(preamble + alternatives[i] + postscript);
            }
        }

        return results;
    }

    /// <summary>The first brace expression of the text: its braces and its alternatives (or the sequence's items).</summary>
    private static (int Open, int Close, List<string> Alternatives)? FindBrace(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (SkipQuotedPart(text, i) is { } end)
            {
                if (end < 0)
                {
                    return null;
                }

                i = end;
                continue;
            }

            if (text[i] != '{')
            {
                continue;
            }

            if (TryBrace(text, i) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// Steps over what braces inside do not count in, starting at <paramref name="i"/>: an escaped character, a quoted
    /// string, a <c>$( )</c> or <c>${ }</c> group. The index of its last character, -1 when it is not closed, or null
    /// when nothing of the kind starts there.
    /// </summary>
    private static int? SkipQuotedPart(string text, int i) => text[i] switch
    {
        '\\' => i + 1,
        '\'' or '"' or '`' => SkipQuote(text, i),
        '$' when i + 1 < text.Length && text[i + 1] is '{' or '(' => SkipGroup(text, i + 1),
        _ => null,
    };

    private static (int, int, List<string>)? TryBrace(string text, int open)
    {
        var depth = 0;
        var commas = new List<int>();
        for (var i = open; i < text.Length; i++)
        {
            if (SkipQuotedPart(text, i) is { } end)
            {
                if (end < 0)
                {
                    return null;
                }

                i = end;
                continue;
            }

            var c = text[i];
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}')
            {
                if (--depth > 0)
                {
                    continue;
                }

                if (commas.Count > 0)
                {
                    var alternatives = new List<string>();
                    var start = open + 1;
                    foreach (var comma in commas)
                    {
                        alternatives.Add(text[start..comma]);
                        start = comma + 1;
                    }

                    alternatives.Add(text[start..i]);
                    return (open, i, alternatives);
                }

                return Sequence(text[(open + 1)..i]) is { } items ? (open, i, items) : null;
            }
            else if (c == ',' && depth == 1)
            {
                commas.Add(i);
            }
        }

        return null;
    }

    /// <summary><c>x..y[..step]</c> over integers or single letters.</summary>
    private static List<string>? Sequence(string body)
    {
        var parts = body.Split("..");
        if (parts.Length is not (2 or 3))
        {
            return null;
        }

        var step = 1L;
        if (parts.Length == 3 && (!long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out step) || step == 0))
        {
            return null;
        }

        step = Math.Abs(step);
        if (long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var from)
            && long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var to))
        {
            var width = Padded(parts[0]) || Padded(parts[1]) ? Math.Max(parts[0].Length, parts[1].Length) : 0;
            var count = (Math.Abs(to - from) / step) + 1;
            if (count > 4096)
            {
                return null;
            }

            var items = new List<string>((int)count);
            for (var value = from; from <= to ? value <= to : value >= to; value += from <= to ? step : -step)
            {
                var text = Math.Abs(value).ToString(CultureInfo.InvariantCulture).PadLeft(width - (value < 0 ? 1 : 0), '0');
                items.Add(value < 0 ? "-" + text : text);
            }

            return items;
        }

        if (parts[0].Length == 1 && parts[1].Length == 1 && char.IsAsciiLetter(parts[0][0]) && char.IsAsciiLetter(parts[1][0]))
        {
            var items = new List<string>();
            var a = parts[0][0];
            var b = parts[1][0];
            for (var c = (int)a; a <= b ? c <= b : c >= b; c += a <= b ? (int)step : -(int)step)
            {
                // Between 'Z' and 'a' bash also yields the punctuation in between, quoted.
                var ch = (char)c;
                items.Add(char.IsAsciiLetterOrDigit(ch) ? ch.ToString() : "\\" + ch);
            }

            return items;
        }

        return null;
    }

    private static bool Padded(string number)
    {
        var digits = number.TrimStart('-');
        return digits.Length > 1 && digits[0] == '0';
    }

    private static int SkipQuote(string text, int start)
    {
        var quote = text[start];
        for (var i = start + 1; i < text.Length; i++)
        {
            if (text[i] == '\\' && quote != '\'')
            {
                i++;
                continue;
            }

            if (text[i] == quote)
            {
                return i;
            }
        }

        return -1;
    }

    private static int SkipGroup(string text, int open)
    {
        var opening = text[open];
        var closing = opening == '{' ? '}' : ')';
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\')
            {
                i++;
                continue;
            }

            if (c is '\'' or '"' or '`')
            {
                i = SkipQuote(text, i);
                if (i < 0)
                {
                    return -1;
                }

                continue;
            }

            if (c == opening)
            {
                depth++;
            }
            else if (c == closing && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }
}
