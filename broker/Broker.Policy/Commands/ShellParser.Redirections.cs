using System.Globalization;

namespace Broker.Policy.Commands;

/// <summary>Redirections (including <c>{name}&gt;</c>, which makes bash assign a descriptor to a variable) and here-documents.</summary>
internal sealed partial class ShellParser
{
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

        if (fd is ['{', .., '}'])
        {
            // {name}>file: bash opens a new descriptor and assigns its number to name; a subscript in name is evaluated.
            var name = fd[1..^1];
            if (NamePattern().IsMatch(name))
            {
                RecordShellVariable(name);
                _variables.AssignedText(name);
            }
            else
            {
                AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"{fd}{op}: '{name}' is not a plain variable name"));
            }
        }

        _pos += op.Length;
        SkipBlanks();
        if (AtEnd || _text[_pos] is '\n' or ';' or '|' or '&' or '<' or '>' or '(' or ')')
        {
            return Fail($"'{op}' has no target");
        }

        // The target word may carry its own brace expansion (bash then refuses an ambiguous redirect).
        if (!ReadWord(out var target, WordMode.Command))
        {
            return false;
        }

        if (_wordBraceExpansion is { Count: > 1 })
        {
            target = new ShellWord(target.Value, false);
        }

        _commandHasContent = true;
        if (op is "<<" or "<<-")
        {
            _heredocs.Add(new PendingHeredoc(target.Value, op == "<<-", !_wordQuoted));
            _commandConstructs.Add(new Construct(ConstructNames.Heredoc, op + target.Value));
        }
        else if (op == "<<<")
        {
            _commandConstructs.Add(new Construct(ConstructNames.HereString, op + target.Value));
        }
        else
        {
            _commandConstructs.Add(new Construct(ConstructNames.Redirection, fd + op + target.Value));
            _redirects.Add(new Redirect(fd, op, target));
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
                    return Fail($"here-document '{heredoc.Delimiter}' is not terminated", incomplete: true, awaiting: heredoc.Delimiter);
                }

                var lineEnd = _text.IndexOf('\n', _pos);
                var lineStart = _pos;
                _pos = lineEnd < 0 ? _text.Length : lineEnd + 1;
                var line = _text.AsSpan(lineStart, (lineEnd < 0 ? _text.Length : lineEnd) - lineStart);
                if ((heredoc.StripTabs ? line.TrimStart('\t') : line).SequenceEqual(heredoc.Delimiter))
                {
                    if (heredoc.Expands && !ParseHeredocExpansions(_text[bodyStart..lineStart]))
                    {
                        return false;
                    }

                    break;
                }
            }
        }

        _heredocs.Clear();
        return true;
    }

    /// <summary>An unquoted here-document expands <c>$…</c>, <c>$(…)</c> and backticks: the substitutions are parsed and decided.</summary>
    private bool ParseHeredocExpansions(string body)
    {
        if (!body.Contains('$', StringComparison.Ordinal) && !body.Contains('`', StringComparison.Ordinal))
        {
            return true;
        }

        AddUnique(_scriptConstructs, new Construct(ConstructNames.ParameterExpansion, "in here-document"));
        if (body.Contains("$(", StringComparison.Ordinal))
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.CommandSubstitution, "in here-document"));
        }

        if (body.Contains('`', StringComparison.Ordinal))
        {
            AddUnique(_scriptConstructs, new Construct(ConstructNames.BacktickSubstitution, "in here-document"));
        }

        // Read the body as the inside of a double-quoted word: only '$', '`' and '\\' are special.
        var reader = new ShellParser(body, _nesting, this);
        while (!reader.AtEnd)
        {
            var c = reader._text[reader._pos];
            if (c == '\\')
            {
                reader._pos += 2;
                continue;
            }

            if (c == '$' ? !reader.ReadDollar(inDoubleQuotes: true) : c == '`' ? !reader.ReadBacktick(inDoubleQuotes: true) : false)
            {
                return Fail("in a here-document: " + reader._error);
            }

            if (c is not ('$' or '`'))
            {
                reader._pos++;
            }
        }

        EmitAll(reader._commands);
        foreach (var construct in reader._scriptConstructs)
        {
            AddUnique(_scriptConstructs, construct);
        }

        return true;
    }

    private readonly record struct PendingHeredoc(string Delimiter, bool StripTabs, bool Expands);
}
