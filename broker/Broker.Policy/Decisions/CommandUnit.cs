using Broker.Policy.Commands;

namespace Broker.Policy.Decisions;

/// <summary>
/// What one simple command runs: the wrappers around it (<c>sudo</c>, <c>timeout</c>, …), the program that finally
/// runs, its redirections and every construct found on the way. <see cref="Error"/> is set when the command cannot be understood.
/// </summary>
internal sealed class CommandUnit(IReadOnlyList<ResolvedCommand> wrappers, ResolvedCommand target, IReadOnlyList<Construct> constructs, string? error, IReadOnlyList<Redirect>? redirects = null)
{
    public IReadOnlyList<ResolvedCommand> Wrappers { get; } = wrappers;

    public ResolvedCommand Target { get; } = target;

    public IReadOnlyList<Construct> Constructs => ConstructList;

    /// <summary>The constructs, open to the analysis adding what it finds (names given to built-ins).</summary>
    internal List<Construct> ConstructList { get; } = [.. constructs];

    public IReadOnlyList<Redirect> Redirects { get; } = redirects ?? [];

    public string? Error { get; } = error;

    /// <summary>The directories the command may run in (after the <c>cd</c>s before it).</summary>
    public CommandContext Context { get; set; } = CommandContext.Unknown;
}
