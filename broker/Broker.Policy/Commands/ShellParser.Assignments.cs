using System.Text;

namespace Broker.Policy.Commands;

/// <summary>Assignments: <c>NAME=value</c> words and the names given to built-ins that assign them.</summary>
internal sealed partial class ShellParser
{
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

    /// <summary>
    /// A leading <c>NAME=value</c>: an environment assignment for the command, or (when no word follows) a shell
    /// variable. Its value being a number or not is remembered for arithmetic.
    /// </summary>
    private void RecordAssignment(string name, int start, ShellWord word)
    {
        _pendingAssignments.Add(name);
        _variables.Assigned(name);
        var equals = word.Value.IndexOf('=', StringComparison.Ordinal);
        if (word.IsLiteral && equals > 0 && word.Value[equals - 1] != '+')
        {
            // x=value: its words are the value (a literal assignment is neither split nor globbed).
            _pendingLiteralAssignment = (name, Patterns.TextPattern.Literal(word.Value[(equals + 1)..]));
        }
        var raw = _text[start.._pos];
        var valueText = raw[(raw.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var numeric = VariableFacts.IsInteger(valueText)
            || (valueText.StartsWith("$((", StringComparison.Ordinal) && valueText.EndsWith("))", StringComparison.Ordinal) && !_arithmeticUnsafeInWord);
        if (numeric && !raw.Contains("+=", StringComparison.Ordinal))
        {
            _pendingNumericAssignment = name;
        }
        else
        {
            _variables.AssignedText(name);
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
}
