namespace Broker.Core.Targets;

/// <summary>
/// Something a session can be opened on: a local shell over a PTY today, an AWS SSM data
/// channel later. Implementations start processes; the session owns everything above that.
/// </summary>
public interface ITarget
{
    /// <summary>The name agents use to ask for this target.</summary>
    string Name { get; }

    /// <summary>Limits for sessions on this target.</summary>
    Sessions.SessionLimits Limits { get; }

    /// <summary>Starts an interactive program on a terminal of the given size.</summary>
    ValueTask<TargetStartResult> StartTerminalAsync(TerminalStart start, CancellationToken cancellationToken);

    /// <summary>Starts one command without a terminal, stdout and stderr kept apart.</summary>
    ValueTask<TargetStartResult> StartCommandAsync(CommandStart start, CancellationToken cancellationToken);
}

/// <summary>Parameters of an interactive start.</summary>
/// <param name="Columns">Terminal width in cells.</param>
/// <param name="Rows">Terminal height in cells.</param>
/// <param name="Term">The TERM value.</param>
/// <param name="Environment">Variables the session adds (credentials endpoint, markers).</param>
/// <param name="Integration">For a line-mode session: the prompt markers and sync handshake the shell must run.</param>
/// <param name="Owner">Whose session it is (a target with an account per session keeps identities apart by it).</param>
public sealed record TerminalStart(int Columns, int Rows, string Term, IReadOnlyDictionary<string, string> Environment, Interactive.ShellIntegration? Integration = null, Sessions.SessionOwner? Owner = null);

/// <summary>Parameters of a command start.</summary>
/// <param name="Command">What to run.</param>
/// <param name="Environment">Variables the session adds.</param>
/// <param name="Owner">Whose session it is (a target with an account per session keeps identities apart by it).</param>
public sealed record CommandStart(TargetCommand Command, IReadOnlyDictionary<string, string> Environment, Sessions.SessionOwner? Owner = null);

/// <summary>A command: an argv run directly, or a script run by the target's shell.</summary>
public abstract record TargetCommand
{
    private TargetCommand()
    {
    }

    /// <summary>Runs <see cref="Arguments"/> directly; the first is the program.</summary>
    public sealed record Argv(IReadOnlyList<string> Arguments) : TargetCommand;

    /// <summary>Runs <see cref="Text"/> with the target's shell.</summary>
    public sealed record Script(string Text) : TargetCommand;
}

/// <summary>A started process, or why it could not start.</summary>
public sealed record TargetStartResult
{
    /// <summary>The started process, when it started.</summary>
    public ITargetProcess? Process { get; init; }

    /// <summary>Why it did not start.</summary>
    public string? Error { get; init; }

    /// <summary>Shell-style status for a start failure (127: not found, 126: not executable).</summary>
    public int ErrorExitCode { get; init; }

    /// <summary>
    /// What the target did on the far side before the program's first output that the agent does not see (the remote
    /// line-mode setup of an SSM session): each line becomes a <see cref="Sessions.NoticeKind.Setup"/> record of the
    /// session's recording, ahead of its output.
    /// </summary>
    public IReadOnlyList<string> SetupNotes { get; init; } = [];

    /// <summary>A successful start.</summary>
    public static TargetStartResult Started(ITargetProcess process) => new() { Process = process };

    /// <summary>A failed start.</summary>
    public static TargetStartResult Failed(string error, int exitCode) => new() { Error = error, ErrorExitCode = exitCode };
}
