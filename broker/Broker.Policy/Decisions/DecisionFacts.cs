namespace Broker.Policy;

/// <summary>What the parser and engine found in a command line.</summary>
/// <param name="Programs">Every resolved program, wrappers included, in order (an unresolvable one as written).</param>
/// <param name="AwsActions">The IAM actions of every <c>aws</c> invocation.</param>
/// <param name="Constructs">Every construct found.</param>
public sealed record DecisionFacts(IReadOnlyList<string> Programs, IReadOnlyList<string> AwsActions, IReadOnlyList<Construct> Constructs);
