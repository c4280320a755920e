using System.Globalization;
using System.Text;

namespace Broker.Policy.Commands;

/// <summary>
/// A strict parser for the shell language as bash reads it: words with every kind of quoting and expansion,
/// <c>&amp;&amp; || ; | &amp;</c>, newlines, comments, redirections, here-documents and the compound commands
/// (<c>if</c>, <c>while</c>, <c>until</c>, <c>for</c>, <c>select</c>, <c>case</c>, <c>{ }</c>, <c>( )</c>,
/// <c>[[ ]]</c>, <c>(( ))</c>). It flattens the script into every simple command that may run, each word with
/// what it may expand to (<see cref="ShellWord"/>), and reports shell syntax as <see cref="Construct"/>s. Places
/// where bash evaluates text as code (arithmetic, array subscripts, indirection) are checked here: text that
/// could run something there is the construct <c>evaluation-context</c>. Text it cannot parse is a failed
/// <see cref="ShellParseResult"/>; <see cref="ShellParseResult.IsIncomplete"/> says whether more lines could
/// complete it. The work is linear in the text (nested substitutions are bounded in depth).
/// </summary>
internal sealed partial class ShellParser
{
    private const int MaxNesting = 8;
    private const int MaxBlockDepth = 64;

    /// <summary>Longer text is refused outright; parsing cost stays bounded.</summary>
    internal const int MaxLength = 2 * 1024 * 1024;

    private static readonly string[] RedirectionOperators = ["&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">"];

    private readonly string _text;
    private readonly int _nesting;
    private readonly ShellParser? _parent;
    private readonly List<SimpleCommand> _commands = [];
    private readonly List<Construct> _scriptConstructs = [];
    private readonly List<ShellWord> _words = [];
    private readonly List<Construct> _commandConstructs = [];
    private readonly List<Redirect> _redirects = [];
    private readonly List<PendingHeredoc> _heredocs = [];
    private readonly List<string> _pendingAssignments = [];
    private readonly List<Frame> _frames = [];
    private readonly StringBuilder _word = new();
    private readonly Patterns.PatternBuilder _pattern = new();
    private readonly VariableFacts _variables;
    private int _pos;
    private bool _commandHasContent;
    private bool _dropNextWord;
    private bool _conditionalStatement;
    private string? _pendingNumericAssignment;
    private (string Name, string Pattern)? _pendingLiteralAssignment;
    private Expect _expect = Expect.ListStart;
    private string? _error;
    private bool _incomplete;
    private string? _awaiting;

    private ShellParser(string text, int nesting, ShellParser? parent, IReadOnlySet<string>? banned = null)
    {
        _text = text;
        _nesting = nesting;
        _parent = parent;
        _variables = parent?._variables ?? new VariableFacts { Banned = banned ?? new HashSet<string>() };
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

        var parser = new ShellParser(text, 0, null);
        parser.ScanCharacters();
        var result = parser.Run();
        if (result.Succeeded && parser._variables.Unreliable() is { Count: > 0 } unreliable)
        {
            // A variable's value was relied on, but the script assigns it elsewhere too (a loop may reassign it):
            // read the script again without relying on those values.
            parser = new ShellParser(text, 0, null, unreliable);
            parser.ScanCharacters();
            result = parser.Run();
        }

        return result;
    }

    private ShellParseResult Run()
    {
        if (!ParseList())
        {
            return ShellParseResult.Failure(_error ?? "cannot parse", _incomplete, OpenConstruct());
        }

        if (_parent is null)
        {
            foreach (var name in _variables.Contradictions())
            {
                AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"'{name}' is used as a number but assigned text"));
            }
        }

        return ShellParseResult.Success(new ParsedScript(_commands, _scriptConstructs));
    }

    /// <summary>Text that must appear for incomplete input to complete (a closing quote, <c>done</c>, a delimiter), or null for any line.</summary>
    private string? OpenConstruct() => _awaiting ?? (_heredocs.Count > 0 ? _heredocs[0].Delimiter : _frames.Count > 0 ? _frames[^1].Closer : null);

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

    private static void AddUnique(List<Construct> list, Construct construct)
    {
        if (!list.Contains(construct))
        {
            list.Add(construct);
        }
    }

    private bool Fail(string message, bool incomplete = false, string? awaiting = null)
    {
        if (_error is null)
        {
            _error = message;
            _awaiting = awaiting;
        }

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
            if (Top is { Kind: FrameKind.Case, State: CaseState.Patterns })
            {
                if (!ReadCasePatterns())
                {
                    return false;
                }

                continue;
            }

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
                        FinishCommand(Expect.ListStart, unconditionalEnd: true);
                    }

                    if (!ReadHeredocBodies())
                    {
                        return false;
                    }

                    break;
                case ';':
                    if (Peek(1) is ';' or '&')
                    {
                        if (!EndCaseItem())
                        {
                            return false;
                        }

                        break;
                    }

                    if (!Separator(";", 1, Expect.ListStart, unconditionalEnd: true))
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
                        if (!Separator("&&", 2, Expect.AfterOperator, unconditionalEnd: false))
                        {
                            return false;
                        }
                    }
                    else if (!Separator("&", 1, Expect.ListStart, unconditionalEnd: false))
                    {
                        return false;
                    }

                    break;
                case '|':
                    if (Peek(1) == '|')
                    {
                        if (!Separator("||", 2, Expect.AfterOperator, unconditionalEnd: false))
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

                        if (!Separator(stderrToo ? "|&" : "|", stderrToo ? 2 : 1, Expect.AfterOperator, unconditionalEnd: false))
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
                    if (Top?.Kind != FrameKind.Paren || (CurrentCommandEmpty && _expect == Expect.AfterOperator))
                    {
                        return Fail("unexpected ')'");
                    }

                    FinishCommand(Expect.Nothing, unconditionalEnd: false);
                    PopFrame();
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
            return Fail("the command line ends with an operator", incomplete: true, awaiting: null);
        }

        FinishCommand(Expect.Nothing, unconditionalEnd: true);
        if (_frames.Count > 0)
        {
            return Fail($"'{_frames[^1].Opener}' is not closed (expecting '{_frames[^1].Closer}')", incomplete: true);
        }

        return true;
    }

    private bool Separator(string token, int length, Expect next, bool unconditionalEnd)
    {
        if (CurrentCommandEmpty && _expect != Expect.Nothing)
        {
            return Fail($"unexpected '{token}'");
        }

        _pos += length;
        FinishCommand(next, unconditionalEnd);
        return true;
    }

    /// <summary>
    /// Ends the simple command being read. <paramref name="unconditionalEnd"/> is true when it ends with
    /// <c>;</c>, a newline or the end of text (not <c>&amp;&amp;</c>, <c>||</c>, <c>|</c>, <c>&amp;</c>).
    /// </summary>
    private void FinishCommand(Expect next, bool unconditionalEnd)
    {
        // NAME=value before a command is that command's environment; alone it sets a shell variable.
        foreach (var assigned in _pendingAssignments)
        {
            _commandConstructs.Add(new Construct(_words.Count == 0 ? ConstructNames.ShellVariable : ConstructNames.Assignment, assigned));
        }

        if (_words.Count > 0)
        {
            _pendingNumericAssignment = null;
        }

        _pendingAssignments.Clear();
        if (!CurrentCommandEmpty)
        {
            _commands.Add(new SimpleCommand(_words.ToArray(), _commandConstructs.ToArray(), _redirects.ToArray()));
        }
        else
        {
            // Constructs of a dropped word (a function's name) still count.
            _scriptConstructs.AddRange(_commandConstructs);
        }

        // An assignment that runs whenever later top-level statements do (no condition, no subshell) makes
        // its variable a known number for them.
        var unconditional = unconditionalEnd && !_conditionalStatement && _frames.Count == 0 && _parent is null;
        if (_pendingNumericAssignment is { } name && unconditional)
        {
            _variables.DefinitelyNumeric(name);
        }

        if (_pendingLiteralAssignment is { } literal && unconditional && _words.Count == 0)
        {
            _variables.BindLiteral(literal.Name, literal.Pattern);
        }

        CountBuiltinAssignments();
        _pendingNumericAssignment = null;
        _pendingLiteralAssignment = null;
        _conditionalStatement = !unconditionalEnd;
        _words.Clear();
        _commandConstructs.Clear();
        _redirects.Clear();
        _commandHasContent = false;
        _expect = next;
    }

    private bool OpenParen()
    {
        if (CurrentCommandEmpty)
        {
            if (Peek(1) == '(')
            {
                return ReadArithmeticCommand();
            }

            if (!PushFrame(new Frame(FrameKind.Paren, "(", ")")))
            {
                return false;
            }

            AddUnique(_scriptConstructs, new Construct(ConstructNames.Subshell, null));
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

    private bool ReadWordInCommand()
    {
        var start = _pos;
        if (!ReadWord(out var word, WordMode.Command))
        {
            return false;
        }

        // A word of digits, or {name}, straight before '<' or '>' is the descriptor of a redirection.
        if (!AtEnd && _text[_pos] is '<' or '>' && Peek(1) != '(' && !_wordQuoted && word.Value.Length > 0
            && (word.Value.All(char.IsAsciiDigit) || (word.Value[0] == '{' && word.Value[^1] == '}' && _pos - start == word.Value.Length)))
        {
            return ReadRedirection(word.Value);
        }

        if (word.Value.Length == 0 && !_wordQuoted && _pos > start && word.IsLiteral)
        {
            return true;
        }

        if (_dropNextWord)
        {
            _dropNextWord = false;
            return true;
        }

        if (CurrentCommandEmpty && !_wordQuoted && word.IsLiteral && IsReservedWord(word.Value))
        {
            return HandleReservedWord(word.Value);
        }

        if (_words.Count == 0 && _wordAssignment is not null)
        {
            RecordAssignment(_wordAssignment, start, word);
            _commandHasContent = true;
            return true;
        }

        AddWord(word);
        _expect = Expect.Nothing;
        return true;
    }

    /// <summary>Adds a word, brace-expanded into several when bash would (and the pieces are few enough to list).</summary>
    private void AddWord(ShellWord word)
    {
        if (_wordBraceExpansion is { } expansions)
        {
            _words.AddRange(expansions);
            return;
        }

        _words.Add(word);
    }

    private Frame? Top => _frames.Count > 0 ? _frames[^1] : null;

    private bool PushFrame(Frame frame)
    {
        if (_frames.Count >= MaxBlockDepth)
        {
            return Fail("compound commands are nested too deeply");
        }

        _frames.Add(frame);
        return true;
    }

    private void PopFrame()
    {
        var frame = _frames[^1];
        _frames.RemoveAt(_frames.Count - 1);
        if (frame.Bound is not null)
        {
            _variables.PopScope();
        }
    }

    private static readonly HashSet<string> AssigningBuiltins = new(StringComparer.Ordinal)
    {
        "read", "mapfile", "readarray", "getopts", "wait", "declare", "typeset", "local", "export", "readonly", "unset", "printf", "let",
    };

    /// <summary>Built-ins that assign the names they are given count as assignments (so no earlier value is relied on).</summary>
    private void CountBuiltinAssignments()
    {
        var first = 0;
        while (first < _words.Count && _words[first].IsLiteral && _words[first].Value is "command" or "builtin")
        {
            first++;
        }

        if (first >= _words.Count || !_words[first].IsLiteral || !AssigningBuiltins.Contains(_words[first].Value))
        {
            return;
        }

        for (var i = first + 1; i < _words.Count; i++)
        {
            var text = _words[i].Value;
            var end = 0;
            while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
            {
                end++;
            }

            if (end > 0)
            {
                _variables.Assigned(text[..end]);
                _variables.AssignedText(text[..end]);
            }
        }
    }

    private readonly record struct PendingHeredoc(string Delimiter, bool StripTabs, bool Expands);
}
