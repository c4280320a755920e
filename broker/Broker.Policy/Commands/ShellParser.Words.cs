using System.Text;
using Broker.Policy.Patterns;

namespace Broker.Policy.Commands;

/// <summary>Words: quoting, globs (with bash's bracket rules), tilde, brace expansion and assignments.</summary>
internal sealed partial class ShellParser
{
    private const int MaxBraceWords = 64;

    // Per-word state filled by ReadWord.
    private bool _wordQuoted;
    private bool _wordLiteral;
    private bool _wordMaySplit;
    private string? _wordAssignment;
    private List<ShellWord>? _wordBraceExpansion;
    private bool _rereadingBracePiece;
    private bool _arithmeticUnsafeInWord;
    private bool _wordOnlyGlobs;

    /// <summary>How the words being read are used: command words are globbed, split and brace-expanded; the others are not.</summary>
    private enum WordMode
    {
        Command,
        Conditional,
        Pattern,
        Regex,
    }

    private bool ReadWord(out ShellWord value, WordMode mode)
    {
        _word.Clear();
        _pattern.Clear();
        _wordQuoted = false;
        _wordLiteral = true;
        _wordMaySplit = false;
        _wordAssignment = null;
        _wordBraceExpansion = null;
        _arithmeticUnsafeInWord = false;
        _wordOnlyGlobs = true;
        value = default;
        var start = _pos;
        var assignmentDecided = mode != WordMode.Command;
        var globReported = false;
        var braceDepth = 0;
        var braceAlternatives = false;
        var regexDepth = 0;
        int[]? bracketMark = null;
        var bracketWordStart = -1;

        while (!AtEnd)
        {
            var c = _text[_pos];
            switch (c)
            {
                case ' ' or '\t' when mode == WordMode.Regex && regexDepth > 0:
                    break;
                case ' ' or '\t' or '\n' or ';' or '&':
                    goto done;
                case '|' when mode == WordMode.Regex:
                    break;
                case '|':
                    goto done;
                case ')' when mode == WordMode.Regex && regexDepth > 0:
                    regexDepth--;
                    break;
                case ')':
                    goto done;
                case '(' when mode == WordMode.Regex:
                    regexDepth++;
                    break;
                case '(':
                    if (_wordAssignment is not null && _word[^1] == '=')
                    {
                        if (!AppendBalanced(ConstructNames.ArrayAssignment))
                        {
                            return false;
                        }

                        continue;
                    }

                    if (_word.Length > 0 && _word[^1] is '?' or '*' or '+' or '@' or '!')
                    {
                        if (!AppendBalanced(mode == WordMode.Command ? ConstructNames.Glob : null))
                        {
                            return false;
                        }

                        if (mode == WordMode.Command)
                        {
                            _wordMaySplit = true;
                        }

                        continue;
                    }

                    goto done;
                case '<' or '>':
                    if (Peek(1) != '(')
                    {
                        goto done;
                    }

                    if (!AppendSubstitution(ConstructNames.ProcessSubstitution, _pos + 1, prefixLength: 1, inDoubleQuotes: true, pattern: $"/dev/fd/{TextPattern.Digit}{TextPattern.DigitRun}"))
                    {
                        return false;
                    }

                    continue;
                case '\\':
                    if (_pos + 1 >= _text.Length)
                    {
                        return Fail("the command line ends with a backslash", incomplete: true);
                    }

                    if (_text[_pos + 1] != '\n')
                    {
                        AppendLiteral(_text[_pos + 1]);
                        _wordQuoted = true;
                    }

                    _pos += 2;
                    continue;
                case '\'':
                    {
                        var close = _text.IndexOf('\'', _pos + 1);
                        if (close < 0)
                        {
                            return Fail("unclosed single quote", incomplete: true, awaiting: "'");
                        }

                        for (var i = _pos + 1; i < close; i++)
                        {
                            AppendLiteral(_text[i]);
                        }

                        _wordQuoted = true;
                        _pos = close + 1;
                        continue;
                    }

                case '"':
                    if (!ReadDoubleQuoted())
                    {
                        return false;
                    }

                    continue;
                case '$':
                    if (!ReadDollar(inDoubleQuotes: false))
                    {
                        return false;
                    }

                    continue;
                case '`':
                    if (!ReadBacktick(inDoubleQuotes: false))
                    {
                        return false;
                    }

                    continue;
                case '*' or '?' when mode == WordMode.Command:
                    ReportGlob(ref globReported);
                    _word.Append(c);
                    _pattern.AppendSymbol(c == '*' ? TextPattern.GlobRun : TextPattern.GlobOne);
                    _pos++;
                    continue;
                case '[' when mode == WordMode.Command && bracketMark is null:
                    bracketMark = _pattern.Mark();
                    bracketWordStart = _word.Length;
                    break;
                case ']' when mode == WordMode.Command && bracketMark is not null && _word.Length > bracketWordStart + 1:
                    // Bash globs [ … ] whenever an unquoted ']' closes it in the same word, quoted characters
                    // inside included ('.ss[h' ']' is a bracket expression).
                    ReportGlob(ref globReported);
                    _word.Append(c);
                    _pattern.ReplaceFrom(bracketMark, TextPattern.GlobOne);
                    bracketMark = null;
                    _pos++;
                    continue;
                case '{' when mode == WordMode.Command:
                    braceDepth++;
                    break;
                case ',' when braceDepth > 0:
                    braceAlternatives = true;
                    break;
                case '.' when braceDepth > 0 && Peek(1) == '.':
                    braceAlternatives = true;
                    break;
                case '}' when braceDepth > 0:
                    braceDepth--;
                    break;
                case '~' when mode is WordMode.Command or WordMode.Conditional
                    && ((_word.Length == 0 && !_wordQuoted) || (_wordAssignment is not null && _word[^1] is '=' or ':')):
                    ReadTilde();
                    continue;
                case '!' when IsHistoryExpansion():
                    ReportHistoryExpansion();
                    break;
                case '=' when !assignmentDecided:
                    assignmentDecided = true;
                    if (!_wordQuoted && _wordLiteral && IsAssignmentName(_word))
                    {
                        _wordAssignment = _word.ToString().TrimEnd('+');
                    }

                    break;
                default:
                    break;
            }

            AppendLiteral(c);
            _pos++;
        }

    done:
        if (braceAlternatives && mode == WordMode.Command && !_rereadingBracePiece && _wordAssignment is null)
        {
            ExpandBraces(start);
        }

        var text = _word.ToString();
        var pattern = _wordLiteral ? TextPattern.Literal(text) : _pattern.ToString();
        if (globReported && _wordOnlyGlobs)
        {
            // A glob that matches nothing stays as written (quotes removed): that text is one of the word's values too.
            pattern = TextPattern.Union([pattern, TextPattern.Literal(text)]);
        }

        value = new ShellWord(text, _wordLiteral, pattern, _wordMaySplit);
        return true;
    }

    private void AppendLiteral(char c)
    {
        _word.Append(c);
        _pattern.Append(c);
    }

    private void ReportGlob(ref bool reported)
    {
        _wordLiteral = false;
        _wordMaySplit = true;
        if (!reported)
        {
            reported = true;
            _commandConstructs.Add(new Construct(ConstructNames.Glob, null));
        }
    }

    /// <summary><c>~</c>, <c>~user</c>, <c>~+</c>, <c>~-</c>: the prefix up to the first <c>/</c>, unquoted.</summary>
    private void ReadTilde()
    {
        var end = _pos + 1;
        while (end < _text.Length && _text[end] is not ('/' or ' ' or '\t' or '\n' or ';' or '&' or '|' or '(' or ')' or '<' or '>' or ':'))
        {
            if (_text[end] is '\'' or '"' or '\\' or '$' or '`')
            {
                // A quoted tilde prefix is not expanded.
                AppendLiteral('~');
                _pos++;
                return;
            }

            end++;
        }

        var prefix = _text[(_pos + 1)..end];
        var atStart = _word.Length == 0;
        _wordOnlyGlobs = false;
        _word.Append('~').Append(prefix);
        _commandConstructs.Add(new Construct(ConstructNames.TildeExpansion, null));
        _wordLiteral = false;
        if (prefix.Length == 0 && atStart)
        {
            _pattern.AppendSymbol(TextPattern.Home);
        }
        else
        {
            // Another user's home, $PWD, $OLDPWD or the directory stack: an absolute path (or the text itself if
            // there is no such user).
            _pattern.AppendPattern(TextPattern.Union(["/" + TextPattern.AnyText, TextPattern.Literal("~" + prefix)]));
        }

        _pos = end;
    }

    /// <summary>Replaces the word just read by its brace expansion, each piece read again as a word.</summary>
    private void ExpandBraces(int start)
    {
        _commandConstructs.Add(new Construct(ConstructNames.BraceExpansion, null));
        _wordLiteral = false;
        var pieces = BraceExpander.Expand(_text[start.._pos], MaxBraceWords);
        if (pieces is null)
        {
            _pattern.MakeUnknown();
            _wordMaySplit = true;
            return;
        }

        var words = new List<ShellWord>(pieces.Count);
        foreach (var piece in pieces)
        {
            var reader = new ShellParser(piece, _nesting, this) { _rereadingBracePiece = true };
            if (!reader.ReadWord(out var word, WordMode.Command) || reader._pos != piece.Length)
            {
                _pattern.MakeUnknown();
                _wordMaySplit = true;
                return;
            }

            words.Add(word);
        }

        _wordBraceExpansion = words;
    }
}
