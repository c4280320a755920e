using System.Globalization;

namespace Broker.Policy.Commands;

/// <summary>The scanner: the position in the text, blanks, newlines and comments, word ends, and the end of a balanced or quoted span.</summary>
internal sealed partial class ShellParser
{
    private void ScanCharacters()
    {
        foreach (var c in _text)
        {
            if (c is >= ' ' and < (char)0x7F or '\t' or '\n')
            {
                continue;
            }

            var detail = "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);
            string name;
            if (c < ' ' || c is >= (char)0x7F and <= (char)0x9F)
            {
                name = ConstructNames.ControlCharacter;
            }
            else
            {
                var category = char.GetUnicodeCategory(c);
                if (category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse)
                {
                    name = ConstructNames.UnicodeFormatCharacter;
                }
                else if (category == UnicodeCategory.SpaceSeparator)
                {
                    name = ConstructNames.UnicodeSpace;
                }
                else
                {
                    continue;
                }
            }

            AddUnique(_scriptConstructs, new Construct(name, detail));
        }
    }

    private bool AtEnd => _pos >= _text.Length;

    private char Peek(int offset = 0) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private void SkipBlanks()
    {
        while (!AtEnd)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t')
            {
                _pos++;
            }
            else if (c == '\\' && Peek(1) == '\n')
            {
                _pos += 2;
            }
            else
            {
                return;
            }
        }
    }

    private void SkipBlanksAndNewlines()
    {
        while (true)
        {
            SkipBlanks();
            if (Peek() == '\n')
            {
                _pos++;
                if (!ReadHeredocBodies())
                {
                    return;
                }
            }
            else if (Peek() == '#')
            {
                while (!AtEnd && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private bool IsWordEnd(int index) => index >= _text.Length || _text[index] is ' ' or '\t' or '\n' or ';' or '&' or '|' or '(' or ')' or '<' or '>';

    private bool AtWord(string word) => string.CompareOrdinal(_text, _pos, word, 0, word.Length) == 0 && IsWordEnd(_pos + word.Length);

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
