namespace Broker.Policy.Decisions;

/// <summary>
/// A redirection pattern of a rule (<c>2&gt;&amp;1</c>, <c>&gt;/dev/null</c>, <c>&lt;*</c>): a descriptor (optional,
/// or <c>*</c>), an operator matched exactly, and a target glob. <c>&gt;x</c> and <c>1&gt;x</c> are the same
/// redirection; <c>&lt;*</c> covers input from any file but never <c>&lt;&gt;</c> (read-write) or <c>&lt;&amp;</c>.
/// </summary>
internal sealed class RedirectionPattern
{
    private static readonly string[] Operators = ["&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">"];

    private readonly string? _descriptor;
    private readonly string? _operator;
    private readonly GlobPattern _target;

    private RedirectionPattern(string text, string? descriptor, string? op, GlobPattern target)
    {
        Pattern = text;
        _descriptor = descriptor;
        _operator = op;
        _target = target;
    }

    public string Pattern { get; }

    /// <summary>
    /// Parses a rule's redirection pattern. A pattern without an operator that is a glob (<c>*</c>) matches the whole
    /// redirection text, as patterns did before operators were matched exactly; null for anything else without one.
    /// </summary>
    public static RedirectionPattern? Parse(string text)
    {
        var compact = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        if (Split(compact) is { } parts)
        {
            return new RedirectionPattern(compact, parts.Descriptor, parts.Operator, new GlobPattern(parts.Target));
        }

        return compact.Contains('*', StringComparison.Ordinal) ? new RedirectionPattern(compact, null, null, new GlobPattern(compact)) : null;
    }

    public bool IsMatch(string detail)
    {
        if (_operator is null)
        {
            return _target.IsMatch(detail);
        }

        if (Split(detail) is not { } parts || parts.Operator != _operator || !_target.IsMatch(parts.Target))
        {
            return false;
        }

        return _descriptor == "*" || (_descriptor ?? DefaultDescriptor(_operator)) == (parts.Descriptor ?? DefaultDescriptor(parts.Operator));
    }

    public static bool AnyMatch(RedirectionPattern[] patterns, string detail)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(detail))
            {
                return true;
            }
        }

        return false;
    }

    private static string DefaultDescriptor(string op) => op[0] == '<' ? "0" : op[0] == '&' ? "&" : "1";

    private static (string? Descriptor, string Operator, string Target)? Split(string text)
    {
        var i = 0;
        if (i < text.Length && text[i] == '{')
        {
            var close = text.IndexOf('}', StringComparison.Ordinal);
            i = close < 0 ? 0 : close + 1;
        }
        else if (i < text.Length && text[i] == '*')
        {
            i = 1;
        }
        else
        {
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(text, i, op, 0, op.Length) == 0)
            {
                return (i == 0 ? null : text[..i], op, text[(i + op.Length)..]);
            }
        }

        return null;
    }

    public override string ToString() => Pattern;
}
