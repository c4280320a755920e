using Broker.Policy.Commands;

namespace Broker.Policy.Catalog;

/// <summary>One thing a command may do: read, write, list or recurse into a path, run or change something.</summary>
/// <param name="Kind">What it does.</param>
/// <param name="Target">The path word it does it to, when there is one.</param>
/// <param name="Detail">Which option or operand says so (for flags without a path).</param>
internal readonly record struct CommandEffect(ArgumentKind Kind, ShellWord? Target, string? Detail)
{
    /// <inheritdoc />
    public override string ToString() =>
        Target is { } target ? $"{ArgumentKinds.Name(Kind)} {target.Value}" : Detail is null ? ArgumentKinds.Name(Kind) : $"{ArgumentKinds.Name(Kind)} ({Detail})";
}
