using System.Text.RegularExpressions;

namespace Broker.Policy.Commands;

/// <summary>Where bash evaluates text as code: <c>[[ ]]</c>, <c>(( ))</c>, arithmetic in words, and names given to built-ins that may carry a subscript.</summary>
internal sealed partial class ShellParser
{
    private static readonly HashSet<string> ArithmeticComparisons = new(StringComparer.Ordinal) { "-eq", "-ne", "-lt", "-le", "-gt", "-ge" };

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

    private void CheckWordArithmetic(string text, string raw)
    {
        if (text.Contains("$(", StringComparison.Ordinal) || text.Contains('`', StringComparison.Ordinal))
        {
            _commandConstructs.Add(new Construct(ConstructNames.CommandSubstitution, raw));
        }

        var before = _scriptConstructs.Count;
        CheckArithmetic(text, raw, _ => { });
        _arithmeticUnsafeInWord |= _scriptConstructs.Count != before;
    }
}
