using System.Text;
using Broker.Policy.Patterns;

namespace Broker.Policy.Commands;

/// <summary>Command substitution (<c>$(…)</c>, backticks) and other nested text, parsed by a nested parser that shares the variable facts.</summary>
internal sealed partial class ShellParser
{
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

        EmitAll(nested._commands);
        foreach (var construct in result.Script!.Constructs)
        {
            AddUnique(_scriptConstructs, construct);
        }

        return true;
    }
}
