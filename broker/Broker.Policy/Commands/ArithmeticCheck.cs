namespace Broker.Policy.Commands;

/// <summary>
/// Checks text bash evaluates as arithmetic (<c>(( ))</c>, <c>$(( ))</c>, <c>let</c>, array subscripts,
/// <c>${x:off:len}</c>, the operands of <c>[[ a -eq b ]]</c>). Bash evaluates a variable's value there as an
/// expression in turn, and evaluating an array subscript expands <c>$(…)</c>: so a name whose value could be
/// any text, or an expansion spliced into the text, can run a program. The text passes only when it is made of
/// numbers, operators and names known to hold numbers; assignments inside it are reported.
/// </summary>
internal static class ArithmeticCheck
{
    private const int MaxDepth = 16;

    /// <summary>Null when <paramref name="text"/> is safe to evaluate; otherwise what makes it unsafe.</summary>
    public static string? Check(string text, Func<string, bool> isNumeric, Action<string> assigned) => Check(text, isNumeric, assigned, 0);

    private static string? Check(string text, Func<string, bool> isNumeric, Action<string> assigned, int depth)
    {
        if (depth > MaxDepth)
        {
            return "arithmetic nested too deeply";
        }

        var i = 0;
        var afterIncrement = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\n' or '"')
            {
                i++;
                continue;
            }

            if (char.IsAsciiDigit(c))
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '#' or '@' or '_'))
                {
                    i++;
                }

                afterIncrement = false;
                continue;
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                var name = text[start..i];
                var j = SkipSpaces(text, i);
                if (j < text.Length && text[j] == '[')
                {
                    var close = FindBracket(text, j);
                    if (close < 0)
                    {
                        return "an unclosed array subscript";
                    }

                    if (Check(text[(j + 1)..close], isNumeric, assigned, depth + 1) is { } inner)
                    {
                        return inner;
                    }

                    i = close + 1;
                    if (!IsPlainAssignment(text, SkipSpaces(text, i)))
                    {
                        return $"array element '{name}[…]' holds text bash would evaluate";
                    }

                    assigned(name);
                    afterIncrement = false;
                    continue;
                }

                var plainAssignment = IsPlainAssignment(text, j);
                if (plainAssignment || afterIncrement || IsUpdate(text, j))
                {
                    assigned(name);
                }

                if (!plainAssignment && !isNumeric(name))
                {
                    return $"'{name}' may hold text, which bash would evaluate as code";
                }

                afterIncrement = false;
                continue;
            }

            if (c == '$')
            {
                if (Dollar(text, ref i, isNumeric, assigned, depth) is { } problem)
                {
                    return problem;
                }

                afterIncrement = false;
                continue;
            }

            if (c is '+' or '-' && i + 1 < text.Length && text[i + 1] == c)
            {
                afterIncrement = true;
                i += 2;
                continue;
            }

            if (c is '+' or '-' or '*' or '/' or '%' or '<' or '>' or '=' or '!' or '&' or '|' or '^' or '~' or '?' or ':' or ',' or '(' or ')')
            {
                afterIncrement = false;
                i++;
                continue;
            }

            return $"'{c}' in arithmetic";
        }

        return null;
    }

    private static string? Dollar(string text, ref int i, Func<string, bool> isNumeric, Action<string> assigned, int depth)
    {
        var next = i + 1 < text.Length ? text[i + 1] : '\0';
        if (next == '(' && i + 2 < text.Length && text[i + 2] == '(')
        {
            var close = FindParen(text, i + 1);
            if (close < 0 || close < i + 4 || text[close - 1] != ')')
            {
                return "an unclosed '$(('";
            }

            var problem = Check(text[(i + 3)..(close - 1)], isNumeric, assigned, depth + 1);
            i = close + 1;
            return problem;
        }

        if (next == '(' || next == '`')
        {
            return "a command's output in arithmetic is evaluated as code";
        }

        if (next == '{')
        {
            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                return "an unclosed '${'";
            }

            var inner = text[(i + 2)..close];
            i = close + 1;
            if (inner.Length > 1 && inner[0] == '#' && IsName(inner.AsSpan(1)))
            {
                return null;
            }

            return IsName(inner) && isNumeric(inner) ? null : $"'${{{inner}}}' may hold text, which bash would evaluate as code";
        }

        if (next is '?' or '#' or '$' or '!')
        {
            i += 2;
            return null;
        }

        if (char.IsAsciiLetter(next) || next == '_')
        {
            var start = i + 1;
            var end = start;
            while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
            {
                end++;
            }

            var name = text[start..end];
            i = end;
            return isNumeric(name) ? null : $"'${name}' may hold text, which bash would evaluate as code";
        }

        return "'$' in arithmetic";
    }

    private static bool IsName(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || !(char.IsAsciiLetter(text[0]) || text[0] == '_'))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static int SkipSpaces(string text, int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t' or '\n')
        {
            i++;
        }

        return i;
    }

    private static bool IsPlainAssignment(string text, int i) => i < text.Length && text[i] == '=' && (i + 1 >= text.Length || text[i + 1] != '=');

    // x += 1, x <<= 2, x++ (after the name).
    private static bool IsUpdate(string text, int i)
    {
        if (i + 1 < text.Length && text[i] is '+' or '-' && text[i + 1] == text[i])
        {
            return true;
        }

        var span = text.AsSpan(i);
        foreach (var op in (ReadOnlySpan<string>)["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="])
        {
            if (span.StartsWith(op, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static int FindBracket(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '[')
            {
                depth++;
            }
            else if (text[i] == ']' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static int FindParen(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }
}
