namespace Broker.Policy.Decisions;

/// <summary>
/// What one simple command runs: the wrappers around it (<c>sudo</c>, <c>timeout</c>, …), the program that finally
/// runs, and every construct found on the way. <see cref="Error"/> is set when the command cannot be understood.
/// </summary>
internal sealed class CommandUnit(IReadOnlyList<ResolvedCommand> wrappers, ResolvedCommand target, IReadOnlyList<Construct> constructs, string? error)
{
    public IReadOnlyList<ResolvedCommand> Wrappers { get; } = wrappers;

    public ResolvedCommand Target { get; } = target;

    public IReadOnlyList<Construct> Constructs { get; } = constructs;

    public string? Error { get; } = error;
}
