namespace Broker.Core.Processes;

/// <summary>What to run. The environment is given whole: nothing of the broker's own leaks in.</summary>
internal sealed record SpawnRequest
{
    public required string Path { get; init; }

    public required IReadOnlyList<string> Arguments { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>A descriptor the program receives as fd 3 (for example a pipe carrying a start-up script); every other one above 2 is closed.</summary>
    public int? InheritedDescriptor { get; init; }
}
