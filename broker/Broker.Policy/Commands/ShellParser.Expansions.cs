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
}
