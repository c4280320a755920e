using System.Text;
using Broker.Policy.Patterns;

namespace Broker.Policy.Commands;

/// <summary>Expansions: <c>$name</c>, <c>${…}</c> with its evaluation contexts, <c>$(…)</c>, backticks, <c>$((…))</c>.</summary>
internal sealed partial class ShellParser
{
    // A number: optional minus, then digits.
    private static readonly string NumberPattern = TextPattern.Union([$"{TextPattern.Digit}{TextPattern.DigitRun}", $"-{TextPattern.Digit}{TextPattern.DigitRun}"]);

    private bool ReadDollar(bool inDoubleQuotes)
    {
        var next = Peek(1);
        switch (next)
        {
            case '(' when Peek(2) == '(':
                {
                    var close = FindClosingParen(_pos + 1);
                    if (close < 0)
                    {
                        return Fail("unclosed '$(('", incomplete: true, awaiting: ")");
                    }

                    if (_text[close - 1] != ')')
                    {
                        // $( (…) …): a command substitution that starts with a subshell.
                        return AppendSubstitution(ConstructNames.CommandSubstitution, _pos + 1, prefixLength: 1, inDoubleQuotes);
                    }

                    var raw = _text[_pos..(close + 1)];
                    CheckWordArithmetic(_text[(_pos + 3)..(close - 1)], raw);
                    AppendExpansion(ConstructNames.ArithmeticExpansion, close + 1, NumberPattern, split: false);
                    return true;
                }

            case '(':
                return AppendSubstitution(ConstructNames.CommandSubstitution, _pos + 1, prefixLength: 1, inDoubleQuotes);
            case '{':
                return ReadParameterExpansion(inDoubleQuotes);
            case '[':
                {
                    var close = FindClosing(_pos + 1, '[', ']');
                    if (close < 0)
                    {
                        return Fail("unclosed '$['", incomplete: true, awaiting: "]");
                    }

                    CheckWordArithmetic(_text[(_pos + 2)..close], _text[_pos..(close + 1)]);
                    AppendExpansion(ConstructNames.ArithmeticExpansion, close + 1, NumberPattern, split: false);
                    return true;
                }

            case '\'' when !inDoubleQuotes:
                {
                    var i = _pos + 2;
                    while (i < _text.Length && _text[i] != '\'')
                    {
                        i += _text[i] == '\\' ? 2 : 1;
                    }

                    if (i >= _text.Length)
                    {
                        return Fail("unclosed $'…' string", incomplete: true, awaiting: "'");
                    }

                    _wordQuoted = true;
                    AppendExpansion(ConstructNames.AnsiCString, i + 1, TextPattern.AnyText.ToString(), split: false);
                    return true;
                }

            case '"' when !inDoubleQuotes:
                _commandConstructs.Add(new Construct(ConstructNames.LocaleString, null));
                _wordLiteral = false;
                _pos++;
                return ReadDoubleQuoted();
            default:
                if (char.IsAsciiLetter(next) || next == '_')
                {
                    var end = _pos + 2;
                    while (end < _text.Length && (char.IsAsciiLetterOrDigit(_text[end]) || _text[end] == '_'))
                    {
                        end++;
                    }

                    var name = _text[(_pos + 1)..end];
                    var (pattern, split) = VariablePattern(name, inDoubleQuotes);
                    AppendExpansion(ConstructNames.ParameterExpansion, end, pattern, split);
                    return true;
                }

                if (next is '?' or '#' or '$' or '!')
                {
                    AppendExpansion(ConstructNames.ParameterExpansion, _pos + 2, $"{TextPattern.DigitRun}", split: false);
                    return true;
                }

                if (char.IsAsciiDigit(next) || next is '@' or '*' or '-')
                {
                    AppendExpansion(ConstructNames.ParameterExpansion, _pos + 2, TextPattern.AnyText.ToString(), split: !inDoubleQuotes);
                    return true;
                }

                AppendLiteral('$');
                _pos++;
                return true;
        }
    }

    /// <summary>What <c>$name</c> may be: a loop variable's values, the home directory, or anything.</summary>
    private (string Pattern, bool Split) VariablePattern(string name, bool inDoubleQuotes)
    {
        if (_variables.Lookup(name) is { } binding)
        {
            return (binding.Pattern, !inDoubleQuotes && !binding.NoSplit);
        }

        if (name == "HOME" && _word.Length == 0)
        {
            // HOME cannot be assigned through the policy, so it is the session's home directory.
            return (TextPattern.Home.ToString(), false);
        }

        return (TextPattern.AnyText.ToString(), !inDoubleQuotes);
    }

    private void AppendExpansion(string construct, int end, string pattern, bool split)
    {
        _wordOnlyGlobs = false;
        var raw = _text[_pos..end];
        _commandConstructs.Add(new Construct(construct, raw));
        _word.Append(raw);
        _pattern.AppendPattern(pattern);
        _wordLiteral = false;
        _wordMaySplit |= split;
        _pos = end;
    }

    private void CheckWordArithmetic(string text, string raw)
    {
        if (text.Contains("$(", StringComparison.Ordinal) || text.Contains('`', StringComparison.Ordinal))
        {
            _commandConstructs.Add(new Construct(ConstructNames.CommandSubstitution, raw));
        }

        var before = _scriptConstructs.Count;
        CheckArithmetic(text, raw, _ => { });
        _arithmeticUnsafeInWord |= _scriptConstructs.Count != before;
    }

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

    /// <summary>Appends <c>$(…)</c> or <c>&lt;(…)</c> (the opening parenthesis at <paramref name="open"/>) and parses its inside.</summary>
    private bool AppendSubstitution(string construct, int open, int prefixLength, bool inDoubleQuotes = false, string? pattern = null)
    {
        var close = FindClosingParen(open);
        if (close < 0)
        {
            return Fail($"unclosed '{_text[(open - prefixLength)..(open + 1)]}'", incomplete: true, awaiting: ")");
        }

        if (!ParseNested(_text[(open + 1)..close]))
        {
            return false;
        }

        var raw = _text[(open - prefixLength)..(close + 1)];
        _commandConstructs.Add(new Construct(construct, raw));
        _word.Append(raw);
        _wordOnlyGlobs = false;
        _pattern.AppendPattern(pattern ?? TextPattern.AnyText.ToString());
        _wordLiteral = false;
        _wordMaySplit |= !inDoubleQuotes;
        _pos = close + 1;
        return true;
    }

    private bool AppendBalanced(string? construct)
    {
        var close = FindClosingParen(_pos);
        if (close < 0)
        {
            return Fail("unclosed '('", incomplete: true, awaiting: ")");
        }

        var raw = _text[_pos..(close + 1)];
        if (construct is not null)
        {
            _commandConstructs.Add(new Construct(construct, raw));
        }

        if (raw.Contains("$(", StringComparison.Ordinal) || raw.Contains('`', StringComparison.Ordinal))
        {
            _commandConstructs.Add(new Construct(ConstructNames.CommandSubstitution, raw));
        }

        _word.Append(raw);
        _pattern.MakeUnknown();
        _wordLiteral = false;
        _pos = close + 1;
        return true;
    }

    private bool ReadBacktick(bool inDoubleQuotes)
    {
        var i = _pos + 1;
        while (i < _text.Length && _text[i] != '`')
        {
            i += _text[i] == '\\' ? 2 : 1;
        }

        if (i >= _text.Length)
        {
            return Fail("unclosed backtick", incomplete: true, awaiting: "`");
        }

        if (!ParseNested(UnescapeBacktick(_text[(_pos + 1)..i])))
        {
            return false;
        }

        var raw = _text[_pos..(i + 1)];
        _wordOnlyGlobs = false;
        _commandConstructs.Add(new Construct(ConstructNames.BacktickSubstitution, raw));
        _word.Append(raw);
        _pattern.AppendSymbol(TextPattern.AnyText);
        _wordLiteral = false;
        _wordMaySplit |= !inDoubleQuotes;
        _pos = i + 1;
        return true;
    }

    private static string UnescapeBacktick(string text)
    {
        var inner = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '`' or '\\' or '$')
            {
                inner.Append(text[i + 1]);
                i++;
            }
            else
            {
                inner.Append(text[i]);
            }
        }

        return inner.ToString();
    }

    private bool ParseNested(string inner)
    {
        if (_rereadingBracePiece)
        {
            // The piece was parsed once already, as part of the whole word.
            return true;
        }

        if (_nesting + 1 >= MaxNesting)
        {
            return Fail("substitutions are nested too deeply");
        }

        var nested = new ShellParser(inner, _nesting + 1, this);
        var result = nested.Run();
        if (!result.Succeeded)
        {
            return Fail("inside a substitution: " + result.Error);
        }

        _commands.AddRange(result.Script!.Commands);
        foreach (var construct in result.Script.Constructs)
        {
            AddUnique(_scriptConstructs, construct);
        }

        return true;
    }

    private int FindClosingParen(int open) => FindClosing(open, '(', ')');

    /// <summary>Finds the bracket that closes the one at <paramref name="open"/>, skipping quoted text.</summary>
    private int FindClosing(int open, char opening, char closing)
    {
        var depth = 0;
        var i = open;
        while (i < _text.Length)
        {
            var c = _text[i];
            if (c == '\\')
            {
                i += 2;
                continue;
            }

            if (c is '\'' or '"' or '`' && opening != c)
            {
                var end = SkipQuoted(i);
                if (end < 0)
                {
                    return -1;
                }

                i = end + 1;
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

            i++;
        }

        return -1;
    }

    private int SkipQuoted(int start)
    {
        var quote = _text[start];
        var i = start + 1;
        while (i < _text.Length)
        {
            var c = _text[i];
            if (c == quote)
            {
                return i;
            }

            i += c == '\\' && quote != '\'' ? 2 : 1;
        }

        return -1;
    }
}
