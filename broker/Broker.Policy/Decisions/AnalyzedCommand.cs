namespace Broker.Policy.Decisions;

/// <summary>A command line parsed and unwrapped once, ready to be decided under any number of roles.</summary>
internal sealed class AnalyzedCommand(IReadOnlyList<CommandUnit> units, IReadOnlyList<Construct> lineConstructs, string? parseError, DecisionFacts facts)
{
    public IReadOnlyList<CommandUnit> Units { get; } = units;

    public IReadOnlyList<Construct> LineConstructs { get; } = lineConstructs;

    public string? ParseError { get; } = parseError;

    public DecisionFacts Facts { get; } = facts;

    /// <summary>Where a shell may be after the command ran (its <c>cd</c>s applied).</summary>
    public CommandContext ContextAfter { get; init; } = CommandContext.Unknown;
}
