using System.Text.RegularExpressions;

namespace Broker.Policy.Commands;

/// <summary>Compound commands: reserved words, loops and their variables, <c>case</c>, <c>[[ ]]</c> and <c>(( ))</c>.</summary>
internal sealed partial class ShellParser
{
    private enum FrameKind
    {
        Paren,
        Brace,
        If,
        Loop,
        Case,
    }

    private static class CaseState
    {
        public const int Patterns = 1;
        public const int Body = 2;
    }

    /// <summary>An open compound command; <see cref="State"/> tracks which of its parts comes next.</summary>
    private sealed class Frame(FrameKind kind, string opener, string closer)
    {
        public FrameKind Kind { get; } = kind;

        public string Opener { get; } = opener;

        public string Closer { get; } = closer;

        public int State { get; set; }

        /// <summary>Loop variables bound inside the body.</summary>
        public Dictionary<string, VariableFacts.Binding>? Bound { get; init; }
    }

    private static bool IsReservedWord(string word) => word is "{" or "}" or "!" or "function" or "if" or "then" or "else" or "elif"
        or "do" or "while" or "until" or "for" or "select" or "case" or "coproc" or "[[" or "in" or "fi" or "done" or "esac" or "]]" or "time";

    /// <summary>Handles a reserved word in command position; false when it cannot appear here.</summary>
    private bool HandleReservedWord(string word)
    {
        var top = Top;
        switch (word)
        {
            case "{":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.Group, null));
                _expect = Expect.ListStart;
                return PushFrame(new Frame(FrameKind.Brace, "{", "}"));
            case "}":
                if (top?.Kind != FrameKind.Brace || _expect == Expect.AfterOperator)
                {
                    return Fail("unexpected '}'");
                }

                PopFrame();
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
            case "time":
                // The keyword times a pipeline; only -p (and --) belong to it.
                SkipBlanks();
                foreach (var option in (ReadOnlySpan<string>)["-p", "--"])
                {
                    if (string.CompareOrdinal(_text, _pos, option, 0, option.Length) == 0 && IsWordEnd(_pos + option.Length))
                    {
                        _pos += option.Length;
                        SkipBlanks();
                    }
                }

                _expect = Expect.Nothing;
                return true;
            case "if":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                _expect = Expect.ListStart;
                return PushFrame(new Frame(FrameKind.If, "if", "fi"));
            case "then" when top is { Kind: FrameKind.If, State: 0 }:
                top.State = 1;
                _expect = Expect.ListStart;
                return true;
            case "elif" when top is { Kind: FrameKind.If, State: 1 }:
                top.State = 0;
                _expect = Expect.ListStart;
                return true;
            case "else" when top is { Kind: FrameKind.If, State: 1 }:
                top.State = 2;
                _expect = Expect.ListStart;
                return true;
            case "fi" when top is { Kind: FrameKind.If, State: > 0 }:
                PopFrame();
                _expect = Expect.Nothing;
                return true;
            case "while" or "until":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                _expect = Expect.ListStart;
                return PushFrame(new Frame(FrameKind.Loop, word, "done"));
            case "do" when top is { Kind: FrameKind.Loop, State: 0 }:
                top.State = 1;
                if (top.Bound is not null)
                {
                    _variables.PushScope(top.Bound);
                }

                _expect = Expect.ListStart;
                return true;
            case "done" when top is { Kind: FrameKind.Loop, State: 1 }:
                PopFrame();
                _expect = Expect.Nothing;
                return true;
            case "for" or "select":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                return ReadForHeader(word);
            case "case":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                return ReadCaseHeader();
            case "esac" when top is { Kind: FrameKind.Case }:
                PopFrame();
                _expect = Expect.Nothing;
                return true;
            case "coproc":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                _expect = Expect.ListStart;
                return true;
            case "[[":
                AddUnique(_scriptConstructs, new Construct(ConstructNames.CompoundCommand, word));
                return ReadConditional();
            default:
                return Fail($"unexpected '{word}'");
        }
    }

    /// <summary><c>for NAME [in WORDS]</c>, <c>select NAME [in WORDS]</c> or <c>for ((init; test; step))</c>, up to <c>do</c>.</summary>
    private bool ReadForHeader(string keyword)
    {
        SkipBlanks();
        var bound = new Dictionary<string, VariableFacts.Binding>(StringComparer.Ordinal);
        if (keyword == "for" && Peek() == '(' && Peek(1) == '(')
        {
            var close = FindClosingParen(_pos);
            if (close < 0 || _text[close - 1] != ')')
            {
                return Fail("unclosed 'for (('", incomplete: close < 0);
            }

            var clauses = _text[(_pos + 2)..(close - 1)];
            var initEnd = clauses.IndexOf(';', StringComparison.Ordinal);
            var initAssigned = new List<string>();
            CheckArithmetic(initEnd < 0 ? clauses : clauses[..initEnd], "for ((…))", initAssigned.Add);
            foreach (var assigned in initAssigned)
            {
                bound[assigned] = new VariableFacts.Binding(NumberPattern, true, true);
            }

            _variables.PushScope(bound);
            if (initEnd >= 0)
            {
                foreach (var clause in clauses[(initEnd + 1)..].Split(';'))
                {
                    CheckArithmetic(clause, "for ((…))", _ => { });
                }
            }

            _variables.PopScope();
            _pos = close + 1;
            _expect = Expect.Nothing;
            return PushFrame(new Frame(FrameKind.Loop, keyword, "done") { Bound = bound });
        }

        if (!ReadWord(out var name, WordMode.Command) || !name.IsLiteral || !NamePattern().IsMatch(name.Value))
        {
            return Fail($"'{keyword}' needs a variable name", incomplete: _incomplete && _pos >= _text.Length);
        }

        RecordShellVariable(name.Value);
        SkipBlanksAndNewlines();
        var values = new List<ShellWord>();
        var iteratesArguments = true;
        if (AtWord("in"))
        {
            iteratesArguments = false;
            _pos += 2;
            while (true)
            {
                SkipBlanks();
                if (AtEnd || Peek() is ';' or '\n')
                {
                    break;
                }

                if (Peek() is '&' or '|' or '(' or ')' or '<' or '>')
                {
                    return Fail($"unexpected '{Peek()}' in the word list of '{keyword}'");
                }

                if (!ReadWord(out var value, WordMode.Command))
                {
                    return false;
                }

                if (_wordBraceExpansion is { } pieces)
                {
                    values.AddRange(pieces);
                }
                else
                {
                    values.Add(value);
                }
            }

            // The list's expansions (globs, substitutions) are decided like any command's.
            Emit(new SimpleCommand(values.ToArray(), _commandConstructs.ToArray(), isWordList: true));
            _commandConstructs.Clear();
        }

        bound[name.Value] = iteratesArguments ? new VariableFacts.Binding(Patterns.TextPattern.AnyText.ToString(), false, false) : VariableFacts.ForValues(values);
        if (!bound[name.Value].Numeric)
        {
            _variables.AssignedText(name.Value);
        }

        _expect = Expect.Nothing;
        return PushFrame(new Frame(FrameKind.Loop, keyword, "done") { Bound = bound });
    }

    /// <summary><c>case WORD in</c>; the patterns and bodies follow.</summary>
    private bool ReadCaseHeader()
    {
        SkipBlanks();
        if (!ReadWord(out var subject, WordMode.Command))
        {
            return false;
        }

        Emit(new SimpleCommand([subject], _commandConstructs.ToArray(), isWordList: true));
        _commandConstructs.Clear();
        SkipBlanksAndNewlines();
        if (AtEnd)
        {
            return Fail("'case' is not complete", incomplete: true);
        }

        if (!AtWord("in"))
        {
            return Fail("'case WORD' must be followed by 'in'");
        }

        _pos += 2;
        _expect = Expect.ListStart;
        return PushFrame(new Frame(FrameKind.Case, "case", "esac") { State = CaseState.Patterns });
    }

    /// <summary>At the start of a case item: <c>esac</c>, or <c>[(] PATTERN [| PATTERN]… )</c>.</summary>
    private bool ReadCasePatterns()
    {
        SkipBlanksAndNewlines();
        if (_error is not null)
        {
            return false;
        }

        if (AtEnd)
        {
            return Fail("'case' is not closed (expecting 'esac')", incomplete: true);
        }

        if (AtWord("esac"))
        {
            _pos += 4;
            PopFrame();
            _expect = Expect.Nothing;
            return true;
        }

        if (Peek() == '(')
        {
            _pos++;
        }

        var patterns = new List<ShellWord>();
        while (true)
        {
            SkipBlanks();
            if (AtEnd)
            {
                return Fail("a case pattern is not complete", incomplete: true);
            }

            if (!ReadWord(out var pattern, WordMode.Pattern))
            {
                return false;
            }

            patterns.Add(pattern);
            SkipBlanks();
            if (Peek() == '|')
            {
                _pos++;
                continue;
            }

            if (Peek() == ')')
            {
                _pos++;
                break;
            }

            return AtEnd ? Fail("a case pattern is not complete", incomplete: true) : Fail("a case pattern must end with ')'");
        }

        Emit(new SimpleCommand(patterns.ToArray(), _commandConstructs.ToArray(), isWordList: true));
        _commandConstructs.Clear();
        Top!.State = CaseState.Body;
        _expect = Expect.ListStart;
        return true;
    }

    /// <summary><c>;;</c>, <c>;&amp;</c> or <c>;;&amp;</c> ending a case item.</summary>
    private bool EndCaseItem()
    {
        if (Top is not { Kind: FrameKind.Case, State: CaseState.Body })
        {
            return Fail("unexpected ';" + Peek(1) + "' outside a case statement");
        }

        var length = Peek(1) == ';' && Peek(2) == '&' ? 3 : 2;
        FinishCommand(Expect.ListStart, unconditionalEnd: false);
        _pos += length;
        Top.State = CaseState.Patterns;
        return true;
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
}
