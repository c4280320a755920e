using Broker.Policy.Patterns;

namespace Broker.Policy.Commands;

/// <summary>Parameter expansion <c>${…}</c>: its operators, the words inside it and the places it evaluates text as arithmetic.</summary>
internal sealed partial class ShellParser
{
    /// <summary>
    /// <c>${…}</c>: the name, an optional subscript (arithmetic), and the operator. Offsets and lengths are
    /// arithmetic; <c>${!name}</c> and <c>${name@P}</c> evaluate a variable's text; the word after
    /// <c>:-</c>, <c>#</c>, <c>/</c> … is read like any word, so substitutions in it are parsed and decided.
    /// </summary>
    private bool ReadParameterExpansion(bool inDoubleQuotes)
    {
        var start = _pos;
        var close = FindClosing(_pos + 1, '{', '}');
        if (close < 0)
        {
            return Fail("unclosed '${'", incomplete: true, awaiting: "}");
        }

        var raw = _text[start..(close + 1)];
        var i = _pos + 2;
        var length = false;
        var indirect = false;
        if (_text[i] == '#' && i + 1 < close && _text[i + 1] != '}')
        {
            length = true;
            i++;
        }
        else if (_text[i] == '!' && i + 1 < close)
        {
            indirect = true;
            i++;
        }

        var nameStart = i;
        if (i < close && (char.IsAsciiLetter(_text[i]) || _text[i] == '_'))
        {
            while (i < close && (char.IsAsciiLetterOrDigit(_text[i]) || _text[i] == '_'))
            {
                i++;
            }
        }
        else if (i < close && char.IsAsciiDigit(_text[i]))
        {
            while (i < close && char.IsAsciiDigit(_text[i]))
            {
                i++;
            }
        }
        else if (i < close && _text[i] is '@' or '*' or '#' or '?' or '-' or '$' or '!')
        {
            i++;
        }
        else
        {
            return Fail($"bad substitution '{raw}'");
        }

        var name = _text[nameStart..i];
        var subscripted = false;
        if (i < close && _text[i] == '[')
        {
            var end = FindClosing(i, '[', ']');
            if (end < 0 || end > close)
            {
                return Fail($"bad substitution '{raw}'");
            }

            var subscript = _text[(i + 1)..end];
            subscripted = subscript is not ("@" or "*");
            if (subscripted)
            {
                CheckWordArithmetic(subscript, raw);
            }

            i = end + 1;
        }

        var op = ReadOperator(i, close);
        if (indirect && !(op.Length == 0 && (name is "@" or "*" || _text[i - 1] == ']' || (i < close && _text[i] is '*' or '@'))))
        {
            // ${!name} expands the variable named by name's value, evaluating any subscript in it.
            AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"{raw}: indirect expansion evaluates a variable's text"));
        }

        if (op == "@P")
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"{raw}: prompt expansion runs the substitutions in a variable's text"));
        }

        if (op == ":" || (op.Length == 0 && i < close && !indirect))
        {
            // ${name:offset[:length]} (and anything unexpected after the name): arithmetic.
            var expressions = _text[(i + (op == ":" ? 1 : 0))..close];
            foreach (var part in SplitTopLevel(expressions, ':'))
            {
                CheckWordArithmetic(part, raw);
            }
        }
        else if (op.Length > 0 && op != "@P")
        {
            if (op is ":=" or "=")
            {
                RecordShellVariable(name);
                _variables.AssignedText(name);
            }

            if (!ParseWordsInExpansion(i + op.Length, close, inDoubleQuotes))
            {
                return false;
            }
        }

        _commandConstructs.Add(new Construct(ConstructNames.ParameterExpansion, raw));
        if (raw.AsSpan(1).IndexOf("$(", StringComparison.Ordinal) >= 0 || raw.Contains('`', StringComparison.Ordinal))
        {
            _commandConstructs.Add(new Construct(ConstructNames.CommandSubstitution, raw));
        }

        _word.Append(raw);
        _wordLiteral = false;
        _wordOnlyGlobs = false;
        _pos = close + 1;
        if (length)
        {
            _pattern.AppendPattern($"{TextPattern.Digit}{TextPattern.DigitRun}");
            return true;
        }

        if (op.Length == 0 && !indirect && !subscripted)
        {
            var (pattern, split) = VariablePattern(name, inDoubleQuotes);
            _pattern.AppendPattern(pattern);
            _wordMaySplit |= split;
            return true;
        }

        _pattern.AppendSymbol(TextPattern.AnyText);
        _wordMaySplit |= !inDoubleQuotes;
        return true;
    }

    private string ReadOperator(int i, int close)
    {
        if (i >= close)
        {
            return string.Empty;
        }

        var rest = _text.AsSpan(i, close - i);
        foreach (var op in (ReadOnlySpan<string>)[":-", ":=", ":?", ":+", "##", "%%", "//", "/#", "/%", "^^", ",,", "-", "=", "?", "+", "#", "%", "/", "^", ","])
        {
            if (rest.StartsWith(op, StringComparison.Ordinal))
            {
                return op;
            }
        }

        if (rest[0] == '@')
        {
            return rest.Length > 1 ? "@" + rest[1] : "@";
        }

        return rest[0] == ':' ? ":" : string.Empty;
    }

    private static IEnumerable<string> SplitTopLevel(string text, char separator)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '(' or '[' or '{')
            {
                depth++;
            }
            else if (text[i] is ')' or ']' or '}')
            {
                depth--;
            }
            else if (text[i] == separator && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    /// <summary>Parses the substitutions inside the word part of <c>${name op word}</c> (from <paramref name="from"/> to <paramref name="close"/>).</summary>
    private bool ParseWordsInExpansion(int from, int close, bool inDoubleQuotes)
    {
        var i = from;
        while (i < close)
        {
            var c = _text[i];
            if (c == '\\')
            {
                i += 2;
                continue;
            }

            if (c == '\'' && !inDoubleQuotes)
            {
                var end = _text.IndexOf('\'', i + 1);
                i = end < 0 ? close : end + 1;
                continue;
            }

            if (c == '`')
            {
                var end = SkipQuoted(i);
                if (end < 0 || end > close)
                {
                    return Fail("unclosed backtick", incomplete: end < 0);
                }

                if (!ParseNested(UnescapeBacktick(_text[(i + 1)..end])))
                {
                    return false;
                }

                i = end + 1;
                continue;
            }

            if (c == '$' && i + 1 < close && _text[i + 1] == '(')
            {
                var end = FindClosingParen(i + 1);
                if (end < 0 || end > close)
                {
                    return Fail("unclosed '$('", incomplete: end < 0);
                }

                if (_text[i + 2] == '(' && _text[end - 1] == ')')
                {
                    CheckWordArithmetic(_text[(i + 3)..(end - 1)], _text[i..(end + 1)]);
                }
                else if (!ParseNested(_text[(i + 2)..end]))
                {
                    return false;
                }

                i = end + 1;
                continue;
            }

            if (c == '$' && i + 1 < close && _text[i + 1] == '{')
            {
                var end = FindClosing(i + 1, '{', '}');
                if (end < 0 || end > close)
                {
                    return Fail("unclosed '${'", incomplete: end < 0);
                }

                if (!ParseWordsInExpansion(i + 2, end, inDoubleQuotes))
                {
                    return false;
                }

                i = end + 1;
                continue;
            }

            i++;
        }

        return true;
    }
}
