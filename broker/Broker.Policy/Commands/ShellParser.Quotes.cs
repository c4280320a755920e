namespace Broker.Policy.Commands;

/// <summary>Double quotes and history expansion (<c>!</c>) inside and outside them.</summary>
internal sealed partial class ShellParser
{
    private bool ReadDoubleQuoted()
    {
        _wordQuoted = true;
        _pos++;
        while (true)
        {
            if (AtEnd)
            {
                return Fail("unclosed double quote", incomplete: true, awaiting: "\"");
            }

            var c = _text[_pos];
            switch (c)
            {
                case '"':
                    _pos++;
                    return true;
                case '\\':
                    var next = Peek(1);
                    if (next is '$' or '`' or '"' or '\\')
                    {
                        AppendLiteral(next);
                        _pos += 2;
                    }
                    else if (next == '\n')
                    {
                        _pos += 2;
                    }
                    else
                    {
                        AppendLiteral('\\');
                        _pos++;
                    }

                    break;
                case '$':
                    if (!ReadDollar(inDoubleQuotes: true))
                    {
                        return false;
                    }

                    break;
                case '`':
                    if (!ReadBacktick(inDoubleQuotes: true))
                    {
                        return false;
                    }

                    break;
                default:
                    if (c == '!' && IsHistoryExpansion())
                    {
                        ReportHistoryExpansion();
                    }

                    AppendLiteral(c);
                    _pos++;
                    break;
            }
        }
    }

    /// <summary>
    /// Interactive bash expands <c>!</c> from its history (outside single quotes) unless a blank, <c>=</c>, <c>(</c>,
    /// a closing double quote or the end follows; what it expands to is invisible to the policy.
    /// </summary>
    private bool IsHistoryExpansion() => Peek(1) is not (' ' or '\t' or '\n' or '=' or '(' or '"' or '\0');

    private void ReportHistoryExpansion()
    {
        _wordLiteral = false;
        _pattern.MakeUnknown();
        _commandConstructs.Add(new Construct(ConstructNames.HistoryExpansion, _text[_pos..Math.Min(_pos + 2, _text.Length)]));
    }
}
