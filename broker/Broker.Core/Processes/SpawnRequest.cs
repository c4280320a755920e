namespace Broker.Core.Processes;

/// <summary>What to run. The environment is given whole: nothing of the broker's own leaks in.</summary>
public sealed record SpawnRequest
{
    /// <summary>The program to execute (an absolute path; no search of PATH).</summary>
    public required string Path { get; init; }

    /// <summary>The argument vector, the program's name first.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The program's whole environment.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>The directory the program starts in; null keeps the broker's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>A descriptor the program receives as fd 3 (for example a pipe carrying a start-up script); every other one above 2 is closed.</summary>
    public int? InheritedDescriptor { get; init; }

    /// <summary>The account the program runs as; null keeps the broker's own.</summary>
    public SpawnAccount? Account { get; init; }

    /// <summary>The program's file mode creation mask.</summary>
    public uint Umask { get; init; } = Targets.LocalShellSettings.DefaultUmask;
}

/// <summary>The numeric identity a program switches to before exec (no supplementary groups).</summary>
/// <param name="Uid">User id.</param>
/// <param name="Gid">Primary group id.</param>
public readonly record struct SpawnAccount(uint Uid, uint Gid);

/// <summary>A program's standard descriptors: a terminal (which becomes its controlling terminal) or three pipe ends.</summary>
internal abstract record SpawnStdio
{
    private SpawnStdio()
    {
    }

    /// <summary>The PTY slave, as stdin, stdout, stderr and controlling terminal.</summary>
    public sealed record Terminal(int Slave) : SpawnStdio;

    /// <summary>Three descriptors for stdin, stdout and stderr.</summary>
    public sealed record Pipes(int Stdin, int Stdout, int Stderr) : SpawnStdio;
}
