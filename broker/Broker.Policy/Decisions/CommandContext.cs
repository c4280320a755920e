namespace Broker.Policy;

/// <summary>
/// Where a command runs, as far as the broker knows: the directories it may start in and the session's home.
/// Relative paths are resolved against every one of the directories; when none is known, a relative path may be
/// anywhere (and <c>~</c> any absolute path). Protected paths are checked after that resolution.
/// </summary>
public sealed record CommandContext
{
    /// <summary>Nothing known: relative paths and <c>~</c> may be anywhere.</summary>
    public static CommandContext Unknown { get; } = new();

    /// <summary>The directories the command may start in (more than one after a <c>cd</c> that may have failed); empty: unknown.</summary>
    public IReadOnlyList<string> WorkingDirectories { get; init; } = [];

    /// <summary>The session's home directory, or null when unknown.</summary>
    public string? HomeDirectory { get; init; }

    /// <summary>A context with one known working directory.</summary>
    public static CommandContext At(string? workingDirectory, string? homeDirectory) => new()
    {
        WorkingDirectories = workingDirectory is null ? [] : [workingDirectory],
        HomeDirectory = homeDirectory,
    };
}
