namespace Broker.Policy.Commands;

/// <summary>
/// A parsed script: every simple command (including those inside substitutions and compound commands)
/// and the constructs that belong to the text as a whole (control and format characters, subshells, …).
/// </summary>
internal sealed class ParsedScript(IReadOnlyList<SimpleCommand> commands, IReadOnlyList<Construct> constructs)
{
    public IReadOnlyList<SimpleCommand> Commands { get; } = commands;

    public IReadOnlyList<Construct> Constructs { get; } = constructs;
}
