using System.Text.RegularExpressions;

namespace Broker.Policy.Commands;

/// <summary>Compound commands: reserved words, loops and their variables, <c>case</c>, <c>[[ ]]</c> and <c>(( ))</c>.</summary>
internal sealed partial class ShellParser
{
    private static readonly HashSet<string> ArithmeticComparisons = new(StringComparer.Ordinal) { "-eq", "-ne", "-lt", "-le", "-gt", "-ge" };

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

    private bool IsWordEnd(int index) => index >= _text.Length || _text[index] is ' ' or '\t' or '\n' or ';' or '&' or '|' or '(' or ')' or '<' or '>';

    private bool AtWord(string word) => string.CompareOrdinal(_text, _pos, word, 0, word.Length) == 0 && IsWordEnd(_pos + word.Length);

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
            _commands.Add(new SimpleCommand(values.ToArray(), _commandConstructs.ToArray(), isWordList: true));
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

        _commands.Add(new SimpleCommand([subject], _commandConstructs.ToArray(), isWordList: true));
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

        _commands.Add(new SimpleCommand(patterns.ToArray(), _commandConstructs.ToArray(), isWordList: true));
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

    /// <summary><c>[[ … ]]</c>: its words are neither split nor globbed; <c>-eq</c> and friends evaluate their operands, <c>-v</c> a name.</summary>
    private bool ReadConditional()
    {
        var words = new List<ShellWord> { new("[[", true) };
        var raws = new List<string> { "[[" };
        var regexNext = false;
        while (true)
        {
            SkipBlanksAndNewlines();
            if (_error is not null)
            {
                return false;
            }

            if (AtEnd)
            {
                return Fail("'[[' is not closed (expecting ']]')", incomplete: true);
            }

            if (AtWord("]]"))
            {
                _pos += 2;
                words.Add(new ShellWord("]]", true));
                break;
            }

            string? token = _text[_pos] switch
            {
                '&' when Peek(1) == '&' => "&&",
                '|' when Peek(1) == '|' => "||",
                '(' => "(",
                ')' => ")",
                '<' => "<",
                '>' => ">",
                _ => null,
            };
            if (token is not null)
            {
                _pos += token.Length;
                words.Add(new ShellWord(token, true));
                raws.Add(token);
                continue;
            }

            var start = _pos;
            if (!ReadWord(out var word, regexNext ? WordMode.Regex : WordMode.Conditional))
            {
                return false;
            }

            regexNext = word.IsLiteral && word.Value == "=~";
            words.Add(word with { MaySplit = false });
            raws.Add(_text[start.._pos]);
        }

        for (var i = 1; i < words.Count - 1; i++)
        {
            if (!words[i].IsLiteral)
            {
                continue;
            }

            if (ArithmeticComparisons.Contains(words[i].Value) && i + 1 < words.Count - 1)
            {
                CheckArithmeticOperand(words[i - 1], raws[i - 1]);
                CheckArithmeticOperand(words[i + 1], raws[i + 1]);
            }
            else if (words[i].Value is "-v" or "-R" && i + 1 < words.Count - 1)
            {
                CheckNameOperand(words[i + 1], words[i].Value);
            }
        }

        _words.AddRange(words);
        _expect = Expect.Nothing;
        return true;
    }

    /// <summary><c>(( … ))</c> as a command.</summary>
    private bool ReadArithmeticCommand()
    {
        var close = FindClosingParen(_pos);
        if (close < 0)
        {
            return Fail("unclosed '(('", incomplete: true);
        }

        if (_text[close - 1] != ')' || close < _pos + 3)
        {
            return Fail("'((' must be closed by '))'");
        }

        var text = _text[_pos..(close + 1)];
        _scriptConstructs.Add(new Construct(ConstructNames.ArithmeticCommand, text));
        CheckArithmetic(_text[(_pos + 2)..(close - 1)], text, _ => { });
        _pos = close + 1;
        _expect = Expect.Nothing;
        return true;
    }

    /// <summary>Reports an evaluation-context construct when arithmetic text could run code; records assigned names.</summary>
    private void CheckArithmetic(string text, string detail, Action<string> assigned)
    {
        var problem = ArithmeticCheck.Check(text, _variables.IsNumeric, name =>
        {
            assigned(name);
            RecordShellVariable(name);
        });
        if (problem is not null)
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"{detail}: {problem}"));
        }
    }

    private void CheckArithmeticOperand(ShellWord word, string raw)
    {
        if (word.IsLiteral)
        {
            CheckArithmetic(word.Value, "[[ … ]]", _ => { });
            return;
        }

        var reference = SimpleReference().Match(raw);
        if (!reference.Success || !_variables.IsNumeric(reference.Groups[1].Value))
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"[[ … ]]: '{raw}' may expand to text, which bash would evaluate as code"));
        }
    }

    private void CheckNameOperand(ShellWord word, string test)
    {
        if (!word.IsLiteral || !NameOrElementPattern().IsMatch(word.Value))
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"[[ {test} … ]]: '{word.Value}' is not a plain variable name"));
        }
    }

    /// <summary>A shell variable assigned by the script itself (a loop variable, an arithmetic assignment).</summary>
    private void RecordShellVariable(string name)
    {
        AddUnique(_scriptConstructs, new Construct(ConstructNames.ShellVariable, name));
        _variables.Assigned(name);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?$")]
    private static partial Regex NameOrElementPattern();

    [GeneratedRegex(@"^""?\$\{?([A-Za-z_][A-Za-z0-9_]*|[?#$!])\}?""?$")]
    private static partial Regex SimpleReference();
}
