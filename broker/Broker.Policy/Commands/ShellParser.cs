using System.Globalization;
using System.Text;

namespace Broker.Policy.Commands;

/// <summary>
/// A strict parser for the POSIX shell subset the policy understands: words with single, double and backslash
/// quoting, <c>&amp;&amp; || ; | &amp;</c>, newlines, comments and leading assignments. Everything else is
/// reported as a <see cref="Construct"/>; text it cannot parse is a failed <see cref="ShellParseResult"/>.
/// </summary>
internal sealed class ShellParser
{
    private const int MaxNesting = 8;

    /// <summary>Longer text is refused outright: no real command line is this long, and parsing cost stays bounded.</summary>
    internal const int MaxLength = 256 * 1024;

    private static readonly string[] RedirectionOperators = ["&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">"];

    private readonly string _text;
    private readonly int _nesting;
    private readonly List<SimpleCommand> _commands = [];
    private readonly List<Construct> _scriptConstructs = [];
    private readonly List<ShellWord> _words = [];
    private readonly List<Construct> _commandConstructs = [];
    private readonly List<PendingHeredoc> _heredocs = [];
    private readonly StringBuilder _word = new();
    private int _pos;
    private int _parenDepth;
    private int _groupDepth;
    private bool _commandHasContent;
    private bool _dropNextWord;
    private Expect _expect = Expect.ListStart;
    private string? _error;
    private bool _incomplete;

    // Per-word state filled by ReadWord.
    private bool _wordQuoted;
    private bool _wordLiteral;
    private string? _wordAssignment;

    private ShellParser(string text, int nesting)
    {
        _text = text;
        _nesting = nesting;
    }

    private enum Expect
    {
        Nothing,
        ListStart,
        AfterOperator,
    }

    public static ShellParseResult Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            return ShellParseResult.Failure($"the command is longer than {MaxLength} characters", false);
        }

        var parser = new ShellParser(text, 0);
        parser.ScanCharacters();
        return parser.Run();
    }

    private ShellParseResult Run()
    {
        if (!ParseList())
        {
            return ShellParseResult.Failure(_error ?? "cannot parse", _incomplete);
        }

        return ShellParseResult.Success(new ParsedScript(_commands, _scriptConstructs));
    }

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
                if (category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
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

    private static void AddUnique(List<Construct> list, Construct construct)
    {
        if (!list.Contains(construct))
        {
            list.Add(construct);
        }
    }

    private bool Fail(string message, bool incomplete = false)
    {
        _error ??= message;
        _incomplete = incomplete;
        return false;
    }

    private bool AtEnd => _pos >= _text.Length;

    private char Peek(int offset = 0) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private bool CurrentCommandEmpty => _words.Count == 0 && !_commandHasContent;

    private bool ParseList()
    {
        while (true)
        {
            SkipBlanks();
            if (AtEnd)
            {
                return FinishInput();
            }

            var c = _text[_pos];
            switch (c)
            {
                case '#':
                    while (!AtEnd && _text[_pos] != '\n')
                    {
                        _pos++;
                    }

                    break;
                case '\n':
                    _pos++;
                    if (!CurrentCommandEmpty || _expect != Expect.AfterOperator)
                    {
                        FinishCommand(Expect.ListStart);
                    }

                    if (!ReadHeredocBodies())
                    {
                        return false;
                    }

                    break;
                case ';':
                    if (Peek(1) is ';' or '&')
                    {
                        return Fail("unexpected ';" + Peek(1) + "' outside a case statement");
                    }

                    if (!Separator(";", 1, Expect.ListStart))
                    {
                        return false;
                    }

                    break;
                case '&':
                    if (Peek(1) == '>')
                    {
                        if (!ReadRedirection(null))
                        {
                            return false;
                        }
                    }
                    else if (Peek(1) == '&')
                    {
                        if (!Separator("&&", 2, Expect.AfterOperator))
                        {
                            return false;
                        }
                    }
                    else if (!Separator("&", 1, Expect.ListStart))
                    {
                        return false;
                    }

                    break;
                case '|':
                    if (Peek(1) == '|')
                    {
                        if (!Separator("||", 2, Expect.AfterOperator))
                        {
                            return false;
                        }
                    }
                    else
                    {
                        var stderrToo = Peek(1) == '&';
                        if (stderrToo && !CurrentCommandEmpty)
                        {
                            _commandConstructs.Add(new Construct(ConstructNames.Redirection, "2>&1"));
                        }

                        if (!Separator(stderrToo ? "|&" : "|", stderrToo ? 2 : 1, Expect.AfterOperator))
                        {
                            return false;
                        }
                    }

                    break;
                case '(':
                    if (!OpenParen())
                    {
                        return false;
                    }

                    break;
                case ')':
                    if (_parenDepth == 0 || (CurrentCommandEmpty && _expect == Expect.AfterOperator))
                    {
                        return Fail("unexpected ')'");
                    }

                    FinishCommand(Expect.Nothing);
                    _parenDepth--;
                    _pos++;
                    break;
                case '<' or '>' when Peek(1) != '(':
                    if (!ReadRedirection(null))
                    {
                        return false;
                    }

                    break;
                default:
                    if (!ReadWordInCommand())
                    {
                        return false;
                    }

                    break;
            }
        }
    }

    private bool FinishInput()
    {
        if (_heredocs.Count > 0)
        {
            return Fail("unterminated here-document", incomplete: true);
        }

        if (CurrentCommandEmpty && _expect == Expect.AfterOperator)
        {
            return Fail("the command line ends with an operator", incomplete: true);
        }

        FinishCommand(Expect.Nothing);
        if (_parenDepth > 0 || _groupDepth > 0)
        {
            return Fail(_parenDepth > 0 ? "unclosed '('" : "unclosed '{'", incomplete: true);
        }

        return true;
    }

    private bool Separator(string token, int length, Expect next)
    {
        if (CurrentCommandEmpty && _expect != Expect.Nothing)
        {
            return Fail($"unexpected '{token}'");
        }

        _pos += length;
        FinishCommand(next);
        return true;
    }

    private void FinishCommand(Expect next)
    {
        if (!CurrentCommandEmpty)
        {
            _commands.Add(new SimpleCommand(_words.ToArray(), _commandConstructs.ToArray()));
        }
        else
        {
            // Constructs of a dropped word (a function's name) still count.
            _scriptConstructs.AddRange(_commandConstructs);
        }

        _words.Clear();
        _commandConstructs.Clear();
        _commandHasContent = false;
        _expect = next;
    }

    private bool OpenParen()
    {
        if (CurrentCommandEmpty)
        {
            if (Peek(1) == '(')
            {
                var close = FindClosingParen(_pos);
                if (close < 0)
                {
                    return Fail("unclosed '(('", incomplete: true);
                }

                _scriptConstructs.Add(new Construct(ConstructNames.ArithmeticCommand, _text[_pos..(close + 1)]));
                _pos = close + 1;
                _expect = Expect.Nothing;
                return true;
            }

            AddUnique(_scriptConstructs, new Construct(ConstructNames.Subshell, null));
            _parenDepth++;
            _pos++;
            _expect = Expect.ListStart;
            return true;
        }

        if (_words.Count == 1 && !_commandHasContent)
        {
            _pos++;
            SkipBlanks();
            if (Peek() != ')')
            {
                return Fail("unexpected '(' after a word");
            }

            _pos++;
            _scriptConstructs.Add(new Construct(ConstructNames.FunctionDefinition, _words[0].Value));
            _words.Clear();
            _commandConstructs.Clear();
            _expect = Expect.AfterOperator;
            return true;
        }

        return Fail("unexpected '('");
    }

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

    private bool ReadWordInCommand()
    {
        var start = _pos;
        if (!ReadWord(out var word))
        {
            return false;
        }

        // A word of digits straight before '<' or '>' is the file descriptor of a redirection.
        if (!AtEnd && _text[_pos] is '<' or '>' && Peek(1) != '(' && !_wordQuoted && word.Length > 0 && word.All(char.IsAsciiDigit))
        {
            return ReadRedirection(word);
        }

        if (word.Length == 0 && !_wordQuoted && _pos > start && _wordLiteral)
        {
            return true;
        }

        if (_dropNextWord)
        {
            _dropNextWord = false;
            return true;
        }

        if (CurrentCommandEmpty && !_wordQuoted && _wordLiteral && IsReservedWord(word))
        {
            return HandleReservedWord(word);
        }

        if (_words.Count == 0 && _wordAssignment is not null)
        {
            _commandConstructs.Add(new Construct(ConstructNames.Assignment, _wordAssignment));
            _commandHasContent = true;
            return true;
        }

        _words.Add(new ShellWord(word, _wordLiteral));
        _expect = Expect.Nothing;
        return true;
    }

    private static bool IsReservedWord(string word) => word is "{" or "}" or "!" or "function" or "if" or "then" or "else" or "elif"
        or "do" or "while" or "until" or "for" or "select" or "case" or "coproc" or "[[" or "in" or "fi" or "done" or "esac" or "]]";

    /// <summary>Records a reserved word in command position; false when it cannot appear here.</summary>
    private bool HandleReservedWord(string word)
    {
        switch (word)
        {
            case "{":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.Group, null));
                _groupDepth++;
                _expect = Expect.ListStart;
                return true;
            case "}":
                if (_groupDepth == 0 || _expect == Expect.AfterOperator)
                {
                    return Fail("unexpected '}'");
                }

                _groupDepth--;
                _expect = Expect.Nothing;
                return true;
            case "!":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.Negation, null));
                _expect = Expect.AfterOperator;
                return true;
            case "function":
                _scriptConstructs.Add(new Construct(ConstructNames.FunctionDefinition, null));
                _dropNextWord = true;
                _expect = Expect.ListStart;
                return true;
            case "if" or "then" or "else" or "elif" or "do" or "while" or "until" or "for" or "select" or "case" or "coproc" or "[[" or "in":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                _expect = Expect.ListStart;
                return true;
            default:
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                _expect = Expect.Nothing;
                return true;
        }
    }

    private bool ReadRedirection(string? fd)
    {
        string? op = null;
        foreach (var candidate in RedirectionOperators)
        {
            if (string.CompareOrdinal(_text, _pos, candidate, 0, candidate.Length) == 0)
            {
                op = candidate;
                break;
            }
        }

        if (op is null)
        {
            return Fail("unexpected character at offset " + _pos.ToString(CultureInfo.InvariantCulture));
        }

        _pos += op.Length;
        SkipBlanks();
        if (AtEnd || _text[_pos] is '\n' or ';' or '|' or '&' or '<' or '>' or '(' or ')')
        {
            return Fail($"'{op}' has no target");
        }

        if (!ReadWord(out var target))
        {
            return false;
        }

        _commandHasContent = true;
        if (op is "<<" or "<<-")
        {
            _heredocs.Add(new PendingHeredoc(target, op == "<<-", !_wordQuoted));
            _commandConstructs.Add(new Construct(ConstructNames.Heredoc, op + target));
        }
        else if (op == "<<<")
        {
            _commandConstructs.Add(new Construct(ConstructNames.HereString, op + target));
        }
        else
        {
            _commandConstructs.Add(new Construct(ConstructNames.Redirection, fd + op + target));
        }

        return true;
    }

    private bool ReadHeredocBodies()
    {
        foreach (var heredoc in _heredocs)
        {
            var bodyStart = _pos;
            while (true)
            {
                if (AtEnd)
                {
                    return Fail($"here-document '{heredoc.Delimiter}' is not terminated", incomplete: true);
                }

                var lineEnd = _text.IndexOf('\n', _pos);
                var line = lineEnd < 0 ? _text[_pos..] : _text[_pos..lineEnd];
                var lineStart = _pos;
                _pos = lineEnd < 0 ? _text.Length : lineEnd + 1;
                if ((heredoc.StripTabs ? line.TrimStart('\t') : line) == heredoc.Delimiter)
                {
                    if (heredoc.Expands)
                    {
                        ReportHeredocExpansions(_text[bodyStart..lineStart]);
                    }

                    break;
                }
            }
        }

        _heredocs.Clear();
        return true;
    }

    private void ReportHeredocExpansions(string body)
    {
        if (body.Contains("$(", StringComparison.Ordinal))
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.CommandSubstitution, "in here-document"));
        }

        if (body.Contains('`', StringComparison.Ordinal))
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.BacktickSubstitution, "in here-document"));
        }

        if (body.Contains('$', StringComparison.Ordinal))
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.ParameterExpansion, "in here-document"));
        }
    }

    private bool ReadWord(out string value)
    {
        _word.Clear();
        _wordQuoted = false;
        _wordLiteral = true;
        _wordAssignment = null;
        value = string.Empty;
        var braceDepth = 0;
        var braceAlternatives = false;
        var assignmentDecided = false;
        var globReported = false;
        var noClosingBracketBefore = 0;

        while (!AtEnd)
        {
            var c = _text[_pos];
            switch (c)
            {
                case ' ' or '\t' or '\n' or ';' or '&' or '|' or ')':
                    goto done;
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
                        if (!AppendBalanced(ConstructNames.Glob))
                        {
                            return false;
                        }

                        continue;
                    }

                    goto done;
                case '<' or '>':
                    if (Peek(1) != '(')
                    {
                        goto done;
                    }

                    if (!AppendSubstitution(ConstructNames.ProcessSubstitution, _pos + 1, prefixLength: 1))
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
                        _word.Append(_text[_pos + 1]);
                        _wordQuoted = true;
                    }

                    _pos += 2;
                    continue;
                case '\'':
                    {
                        var close = _text.IndexOf('\'', _pos + 1);
                        if (close < 0)
                        {
                            return Fail("unclosed single quote", incomplete: true);
                        }

                        _word.Append(_text, _pos + 1, close - _pos - 1);
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
                    if (!ReadBacktick())
                    {
                        return false;
                    }

                    continue;
                case '*' or '?':
                    ReportGlob(ref globReported);
                    break;
                case '[' when !globReported && _pos >= noClosingBracketBefore:
                    var closing = FindClosingBracket(out var wordEnd);
                    if (closing)
                    {
                        ReportGlob(ref globReported);
                    }
                    else
                    {
                        // No ']' before the word ends: later '[' of this word need not scan again.
                        noClosingBracketBefore = wordEnd;
                    }

                    break;
                case '{':
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
                    if (braceAlternatives)
                    {
                        _commandConstructs.Add(new Construct(ConstructNames.BraceExpansion, null));
                        _wordLiteral = false;
                        braceAlternatives = false;
                    }

                    break;
                case '~' when (_word.Length == 0 && !_wordQuoted) || (_wordAssignment is not null && _word[^1] is '=' or ':'):
                    _commandConstructs.Add(new Construct(ConstructNames.TildeExpansion, null));
                    _wordLiteral = false;
                    break;
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

            _word.Append(c);
            _pos++;
        }

    done:
        value = _word.ToString();
        return true;
    }

    private void ReportGlob(ref bool reported)
    {
        _wordLiteral = false;
        if (!reported)
        {
            reported = true;
            _commandConstructs.Add(new Construct(ConstructNames.Glob, null));
        }
    }

    private bool FindClosingBracket(out int wordEnd)
    {
        for (var i = _pos + 1; i < _text.Length; i++)
        {
            var c = _text[i];
            if (c == ']')
            {
                wordEnd = i;
                return true;
            }

            if (c is ' ' or '\t' or '\n' or ';' or '&' or '|' or '(' or ')' or '<' or '>')
            {
                wordEnd = i;
                return false;
            }
        }

        wordEnd = _text.Length;
        return false;
    }

    private static bool IsAssignmentName(StringBuilder word)
    {
        var length = word.Length > 0 && word[^1] == '+' ? word.Length - 1 : word.Length;
        if (length == 0 || !(char.IsAsciiLetter(word[0]) || word[0] == '_'))
        {
            return false;
        }

        for (var i = 1; i < length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(word[i]) || word[i] == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadDoubleQuoted()
    {
        _wordQuoted = true;
        _pos++;
        while (true)
        {
            if (AtEnd)
            {
                return Fail("unclosed double quote", incomplete: true);
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
                        _word.Append(next);
                        _pos += 2;
                    }
                    else if (next == '\n')
                    {
                        _pos += 2;
                    }
                    else
                    {
                        _word.Append('\\');
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
                    if (!ReadBacktick())
                    {
                        return false;
                    }

                    break;
                default:
                    if (c == '!' && IsHistoryExpansion())
                    {
                        ReportHistoryExpansion();
                    }

                    _word.Append(c);
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
        _commandConstructs.Add(new Construct(ConstructNames.HistoryExpansion, _text[_pos..Math.Min(_pos + 2, _text.Length)]));
    }

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
                        return Fail("unclosed '$(('", incomplete: true);
                    }

                    AppendExpansion(ConstructNames.ArithmeticExpansion, close + 1);
                    return true;
                }

            case '(':
                return AppendSubstitution(ConstructNames.CommandSubstitution, _pos + 1, prefixLength: 1);
            case '{':
                {
                    var close = FindClosing(_pos + 1, '{', '}');
                    if (close < 0)
                    {
                        return Fail("unclosed '${'", incomplete: true);
                    }

                    AppendExpansion(ConstructNames.ParameterExpansion, close + 1);
                    return true;
                }

            case '[':
                {
                    var close = FindClosing(_pos + 1, '[', ']');
                    if (close < 0)
                    {
                        return Fail("unclosed '$['", incomplete: true);
                    }

                    AppendExpansion(ConstructNames.ArithmeticExpansion, close + 1);
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
                        return Fail("unclosed $'…' string", incomplete: true);
                    }

                    AppendExpansion(ConstructNames.AnsiCString, i + 1);
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

                    AppendExpansion(ConstructNames.ParameterExpansion, end);
                    return true;
                }

                if (char.IsAsciiDigit(next) || next is '@' or '*' or '#' or '?' or '-' or '$' or '!')
                {
                    AppendExpansion(ConstructNames.ParameterExpansion, _pos + 2);
                    return true;
                }

                _word.Append('$');
                _pos++;
                return true;
        }
    }

    private void AppendExpansion(string construct, int end)
    {
        var raw = _text[_pos..end];
        _commandConstructs.Add(new Construct(construct, raw));
        var inner = raw.AsSpan(1);
        if (construct != ConstructNames.AnsiCString && (inner.IndexOf("$(", StringComparison.Ordinal) >= 0 || inner.Contains('`')))
        {
            _commandConstructs.Add(new Construct(ConstructNames.CommandSubstitution, raw));
        }

        _word.Append(raw);
        _wordLiteral = false;
        _pos = end;
    }

    /// <summary>Appends <c>$(…)</c> or <c>&lt;(…)</c> (the opening parenthesis at <paramref name="open"/>) and parses its inside.</summary>
    private bool AppendSubstitution(string construct, int open, int prefixLength)
    {
        var close = FindClosingParen(open);
        if (close < 0)
        {
            return Fail($"unclosed '{_text[(open - prefixLength)..(open + 1)]}'", incomplete: true);
        }

        if (!ParseNested(_text[(open + 1)..close]))
        {
            return false;
        }

        var raw = _text[(open - prefixLength)..(close + 1)];
        _commandConstructs.Add(new Construct(construct, raw));
        _word.Append(raw);
        _wordLiteral = false;
        _pos = close + 1;
        return true;
    }

    private bool AppendBalanced(string construct)
    {
        var close = FindClosingParen(_pos);
        if (close < 0)
        {
            return Fail("unclosed '('", incomplete: true);
        }

        var raw = _text[_pos..(close + 1)];
        _commandConstructs.Add(new Construct(construct, raw));
        _word.Append(raw);
        _wordLiteral = false;
        _pos = close + 1;
        return true;
    }

    private bool ReadBacktick()
    {
        var inner = new StringBuilder();
        var i = _pos + 1;
        while (i < _text.Length && _text[i] != '`')
        {
            if (_text[i] == '\\' && i + 1 < _text.Length && _text[i + 1] is '`' or '\\' or '$')
            {
                inner.Append(_text[i + 1]);
                i += 2;
            }
            else
            {
                inner.Append(_text[i]);
                i++;
            }
        }

        if (i >= _text.Length)
        {
            return Fail("unclosed backtick", incomplete: true);
        }

        if (!ParseNested(inner.ToString()))
        {
            return false;
        }

        var raw = _text[_pos..(i + 1)];
        _commandConstructs.Add(new Construct(ConstructNames.BacktickSubstitution, raw));
        _word.Append(raw);
        _wordLiteral = false;
        _pos = i + 1;
        return true;
    }

    private bool ParseNested(string inner)
    {
        if (_nesting + 1 >= MaxNesting)
        {
            return Fail("substitutions are nested too deeply");
        }

        var nested = new ShellParser(inner, _nesting + 1);
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

    private readonly record struct PendingHeredoc(string Delimiter, bool StripTabs, bool Expands);
}
