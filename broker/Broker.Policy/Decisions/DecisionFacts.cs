namespace Broker.Policy;

/// <summary>What the parser and engine found in a command line.</summary>
/// <param name="Programs">Every resolved program, wrappers included, in order (an unresolvable one as written).</param>
/// <param name="AwsActions">The IAM actions of every <c>aws</c> invocation.</param>
/// <param name="Constructs">Every construct found.</param>
public sealed record DecisionFacts(IReadOnlyList<string> Programs, IReadOnlyList<string> AwsActions, IReadOnlyList<Construct> Constructs)
{
    /// <summary>What the commands may do, from the program catalog (<c>reads src</c>, <c>writes out.txt</c>, <c>runs (--pre)</c>).</summary>
    public IReadOnlyList<string> Effects { get; init; } = [];

    /// <summary>
    /// The AWS actions that print a secret or mint a credential. When the command is allowed, everything it prints is
    /// secret: the session masks that output and registers it with the session's masker.
    /// </summary>
    public IReadOnlyList<string> SecretActions { get; init; } = [];

    /// <summary>True when the command's output is secret (see <see cref="SecretActions"/>).</summary>
    public bool SecretOutput => SecretActions.Count > 0;
}
