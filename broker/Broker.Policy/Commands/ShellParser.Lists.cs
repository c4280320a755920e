namespace Broker.Policy.Commands;

/// <summary>The list grammar: simple commands joined by <c>;</c>, <c>&amp;</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>|</c> and newlines, subshells and the words of each command.</summary>
internal sealed partial class ShellParser
{
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
            Emit(new SimpleCommand(_words.ToArray(), _commandConstructs.ToArray(), _redirects.ToArray()));
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
}
