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
    private readonly Dictionary<string, int> _assignments = new(StringComparer.Ordinal);
    private readonly HashSet<string> _bindingsUsed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _textBindingsUsed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Binding> _straightLine = new(StringComparer.Ordinal);

    /// <summary>Names whose bindings may not be used (they are assigned more than once): a second pass starts with them.</summary>
    public IReadOnlySet<string> Banned { get; init; } = new HashSet<string>();

    /// <summary>A variable's possible values: a pattern, whether all are integers, and whether unquoted use can split.</summary>
    public readonly record struct Binding(string Pattern, bool Numeric, bool NoSplit);

    public void PushScope(Dictionary<string, Binding> bindings) => _scopes.Add(bindings);

    public void PopScope() => _scopes.RemoveAt(_scopes.Count - 1);

    /// <summary>The innermost loop binding of <paramref name="name"/>, if any.</summary>
    public Binding? Lookup(string name)
    {
        var binding = Find(name);
        if (binding is not null)
        {
            // The word's value is taken from the binding: valid only if nothing else assigns the name (or, for a
            // number, nothing assigns it text).
            _bindingsUsed.Add(name);
            if (!binding.Value.Numeric)
            {
                _textBindingsUsed.Add(name);
            }
        }

        return binding;
    }

    private Binding? Find(string name)
    {
        if (Banned.Contains(name))
        {
            return null;
        }

        for (var i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out var binding))
            {
                return binding;
            }
        }

        return _straightLine.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>One more place in the script assigns <paramref name="name"/>.</summary>
    public void Assigned(string name) => _assignments[name] = _assignments.GetValueOrDefault(name) + 1;

    /// <summary>An unconditional top-level <c>name=literal</c>: later words may rely on the value (if nothing else assigns the name).</summary>
    public void BindLiteral(string name, string pattern) => _straightLine[name] = new Binding(pattern, IsInteger(pattern), pattern.AsSpan().IndexOfAny(SplitOrGlob) < 0);

    /// <summary>Bindings that were relied on although the script assigns their name more than once: the parse must be redone without them.</summary>
    public IReadOnlySet<string> Unreliable() =>
        _bindingsUsed.Where(n => _assignments.GetValueOrDefault(n) > 1 && (_textBindingsUsed.Contains(n) || _textAssigned.Contains(n))).ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="name"/> holds a number here (and remembers that it was relied on).</summary>
    public bool IsNumeric(string name)
    {
        if (NumericSpecials.Contains(name) || name is "?" or "#" or "$" or "!")
        {
            return true;
        }

        if (Find(name) is { Numeric: true })
        {
            _numericUses.Add(name);
            return true;
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
