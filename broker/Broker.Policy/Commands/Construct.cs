namespace Broker.Policy;

/// <summary>
/// A piece of shell syntax outside the plain subset the policy understands (a substitution, a redirection, a glob, …).
/// A construct is denied unless a rule explicitly allows it.
/// </summary>
/// <param name="Name">The stable kebab-case name (see <see cref="ConstructNames"/>).</param>
/// <param name="Detail">What exactly was found, e.g. <c>2&gt;&amp;1</c> for a redirection or <c>U+200B</c> for a character; may be null.</param>
public sealed record Construct(string Name, string? Detail)
{
    /// <inheritdoc />
    public override string ToString() => Detail is null ? Name : $"{Name} {Detail}";
}
