using Broker.Policy.Patterns;

namespace Broker.Policy.Commands;

/// <summary>
/// A word after quote removal. <see cref="IsLiteral"/> is false when the shell would expand it further; then
/// <see cref="Pattern"/> says what it may become (a <see cref="TextPattern"/>: its literal prefix and wildcards) and
/// <see cref="MaySplit"/> whether it may become no word or several (an unquoted expansion or a glob).
/// </summary>
internal readonly record struct ShellWord(string Value, bool IsLiteral, string Pattern, bool MaySplit)
{
    /// <summary>A literal word, or an unknown one of any value.</summary>
    public ShellWord(string value, bool isLiteral)
        : this(value, isLiteral, isLiteral ? TextPattern.Literal(value) : TextPattern.AnyText.ToString(), !isLiteral)
    {
    }

    /// <summary>Whether some value of the word could be taken as an option (it could start with <c>-</c>).</summary>
    public bool MayBeOption => IsLiteral ? Value.Length > 1 && Value[0] == '-' : MayStartWith("-");

    /// <summary>Whether some value of the word could start with <paramref name="prefix"/>.</summary>
    public bool MayStartWith(string prefix)
    {
        if (IsLiteral)
        {
            return Value.StartsWith(prefix, StringComparison.Ordinal);
        }

        return TextPattern.MayStartWith(Pattern, prefix);
    }
}
