using Broker.Policy.Patterns;

namespace Broker.Policy.Commands;

/// <summary>
/// What the parser knows about variables while it reads one script: loop variables bound to the words they
/// iterate over (inside the loop body), and names known to hold numbers (so they may appear in arithmetic,
/// where bash would evaluate a name's text as code). A name is a known number only where every path to it
/// assigned a number: special parameters, a loop over numbers, the init clause of <c>for ((…))</c>, or an
/// unconditional top-level assignment before it; a name also assigned text anywhere in the script is not.
/// </summary>
internal sealed class VariableFacts
{
    // Bash keeps these numeric whatever is assigned to them (or they are read-only).
    private static readonly HashSet<string> NumericSpecials = new(StringComparer.Ordinal)
    {
        "RANDOM", "LINENO", "UID", "EUID", "PPID", "BASHPID", "EPOCHSECONDS", "SRANDOM",
    };

    private static readonly System.Buffers.SearchValues<char> SplitOrGlob = System.Buffers.SearchValues.Create(" \t\n*?[");

    private readonly List<Dictionary<string, Binding>> _scopes = [];
    private readonly HashSet<string> _definitelyNumeric = new(StringComparer.Ordinal);
    private readonly HashSet<string> _numericUses = new(StringComparer.Ordinal);
    private readonly HashSet<string> _textAssigned = new(StringComparer.Ordinal);

    /// <summary>A variable's possible values: a pattern, whether all are integers, and whether unquoted use can split.</summary>
    public readonly record struct Binding(string Pattern, bool Numeric, bool NoSplit);

    public void PushScope(Dictionary<string, Binding> bindings) => _scopes.Add(bindings);

    public void PopScope() => _scopes.RemoveAt(_scopes.Count - 1);

    /// <summary>The innermost loop binding of <paramref name="name"/>, if any.</summary>
    public Binding? Lookup(string name)
    {
        for (var i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out var binding))
            {
                return binding;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> holds a number here (and remembers that it was relied on).</summary>
    public bool IsNumeric(string name)
    {
        if (NumericSpecials.Contains(name) || name is "?" or "#" or "$" or "!")
        {
            return true;
        }

        if (Lookup(name) is { } binding)
        {
            _numericUses.Add(name);
            return binding.Numeric;
        }

        if (_definitelyNumeric.Contains(name))
        {
            _numericUses.Add(name);
            return true;
        }

        return false;
    }

    public void DefinitelyNumeric(string name) => _definitelyNumeric.Add(name);

    public void AssignedText(string name) => _textAssigned.Add(name);

    /// <summary>Names relied on as numbers that the script also assigns text.</summary>
    public IEnumerable<string> Contradictions() => _numericUses.Where(_textAssigned.Contains).Order(StringComparer.Ordinal);

    /// <summary>The binding of a loop over <paramref name="values"/>.</summary>
    public static Binding ForValues(IReadOnlyList<ShellWord> values)
    {
        if (values.Count == 0)
        {
            return new Binding(string.Empty, true, true);
        }

        var numeric = values.All(v => v.IsLiteral && IsInteger(v.Value));
        var noSplit = values.All(v => v.IsLiteral && v.Value.AsSpan().IndexOfAny(SplitOrGlob) < 0);
        return new Binding(TextPattern.Union(values.Select(v => v.Pattern)), numeric, noSplit);
    }

    public static bool IsInteger(string value)
    {
        var span = value.AsSpan();
        if (span.Length > 0 && span[0] == '-')
        {
            span = span[1..];
        }

        return span.Length is > 0 and <= 18 && span.IndexOfAnyExceptInRange('0', '9') < 0;
    }
}
