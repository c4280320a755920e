using System.Text;

namespace Broker.Policy.Patterns;

/// <summary>
/// Builds a word's <see cref="TextPattern"/> part by part. A part with alternatives (a loop variable's values)
/// multiplies the alternatives of the word; past <see cref="MaxAlternatives"/> the word becomes any text.
/// </summary>
internal sealed class PatternBuilder
{
    private const int MaxAlternatives = 64;

    private readonly List<StringBuilder> _alternatives = [new StringBuilder()];
    private bool _unknown;

    /// <summary>How many alternatives the pattern has now (marks taken before and after must agree to be used).</summary>
    public int Count => _alternatives.Count;

    public void Clear()
    {
        _alternatives.RemoveRange(1, _alternatives.Count - 1);
        _alternatives[0].Clear();
        _unknown = false;
    }

    /// <summary>Appends a literal character.</summary>
    public void Append(char c)
    {
        foreach (var alternative in _alternatives)
        {
            TextPattern.Append(alternative, c);
        }
    }

    /// <summary>Appends a wildcard symbol of <see cref="TextPattern"/>.</summary>
    public void AppendSymbol(char symbol)
    {
        foreach (var alternative in _alternatives)
        {
            alternative.Append(symbol);
        }
    }

    /// <summary>Appends a pattern (possibly with alternatives).</summary>
    public void AppendPattern(string pattern)
    {
        var parts = TextPattern.Alternatives(pattern);
        if (parts.Length == 1)
        {
            foreach (var alternative in _alternatives)
            {
                alternative.Append(parts[0]);
            }

            return;
        }

        if (_alternatives.Count * parts.Length > MaxAlternatives)
        {
            _unknown = true;
            return;
        }

        var next = new List<StringBuilder>(_alternatives.Count * parts.Length);
        foreach (var alternative in _alternatives)
        {
            foreach (var part in parts)
            {
                next.Add(new StringBuilder(alternative.ToString()).Append(part));
            }
        }

        _alternatives.Clear();
        _alternatives.AddRange(next);
    }

    /// <summary>The current length of each alternative (to cut back to later with <see cref="ReplaceFrom"/>).</summary>
    public int[] Mark() => [.. _alternatives.Select(a => a.Length)];

    /// <summary>Replaces what was appended since <paramref name="mark"/> by <paramref name="symbol"/>.</summary>
    public void ReplaceFrom(int[] mark, char symbol)
    {
        if (mark.Length != _alternatives.Count)
        {
            _unknown = true;
            return;
        }

        for (var i = 0; i < mark.Length; i++)
        {
            _alternatives[i].Length = mark[i];
            _alternatives[i].Append(symbol);
        }
    }

    /// <summary>Makes the whole word any text.</summary>
    public void MakeUnknown() => _unknown = true;

    public override string ToString() =>
        _unknown ? TextPattern.AnyText.ToString()
        : _alternatives.Count == 1 ? _alternatives[0].ToString()
        : TextPattern.Union(_alternatives.Select(a => a.ToString()));
}
