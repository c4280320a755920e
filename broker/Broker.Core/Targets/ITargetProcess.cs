using System.IO.Pipelines;
using Broker.Core.Processes;

namespace Broker.Core.Targets;

/// <summary>Signals a client may deliver.</summary>
public enum TargetSignal
{
    /// <summary>SIGHUP.</summary>
    Hangup = 1,

    /// <summary>SIGINT.</summary>
    Interrupt = 2,

    /// <summary>SIGQUIT.</summary>
    Quit = 3,

    /// <summary>SIGKILL.</summary>
    Kill = 9,

    /// <summary>SIGUSR1.</summary>
    User1 = 10,

    /// <summary>SIGUSR2.</summary>
    User2 = 12,

    /// <summary>SIGTERM.</summary>
    Terminate = 15,

    /// <summary>SIGCONT.</summary>
    Continue = 18,

    /// <summary>SIGTSTP.</summary>
    Suspend = 20,
}

/// <summary>How a terminal treats what is typed, as its local modes say.</summary>
public enum TerminalInputMode
{
    /// <summary>Pipes, not a terminal: nothing is known.</summary>
    NotATerminal,

    /// <summary>Typed characters are echoed.</summary>
    Echo,

    /// <summary>
    /// No echo, a line at a time (ECHO off, ICANON on): a program reading a secret (<c>read -s</c>, sudo, ssh,
    /// passwd, getpass). Editors and line editors turn echo off too, but read a character at a time.
    /// </summary>
    NoEchoLine,

    /// <summary>No echo, a character at a time: the program echoes what it wants itself (readline, an editor).</summary>
    NoEchoCharacters,
}

/// <summary>A running program on a target: its byte streams, its size, its signals, its end.</summary>
public interface ITargetProcess : IAsyncDisposable
{
    /// <summary>Terminal output, or standard output of a command. Completes at end of output.</summary>
    PipeReader Output { get; }

    /// <summary>Standard error of a command; null on a terminal, where it is merged into <see cref="Output"/>.</summary>
    PipeReader? ErrorOutput { get; }

    /// <summary>Completes when the program itself has exited.</summary>
    Task<ProcessExit> Exited { get; }

    /// <summary>Delivers input. Returns false when the program can no longer receive it.</summary>
    ValueTask<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Signals end of input: closes stdin, or sends the terminal's end-of-file character.</summary>
    ValueTask CompleteInputAsync(CancellationToken cancellationToken);

    /// <summary>Changes the terminal size. Returns false when there is no terminal or the call failed.</summary>
    bool Resize(int columns, int rows);

    /// <summary>Turns the terminal's own echo of input on or off. Returns false when there is no terminal or the call failed.</summary>
    bool SetEcho(bool enabled);

    /// <summary>How the terminal treats input right now (its modes, read when asked), or <see cref="TerminalInputMode.NotATerminal"/>.</summary>
    TerminalInputMode InputMode { get; }

    /// <summary>Delivers a signal to the foreground process group.</summary>
    bool Signal(TargetSignal signal);

    /// <summary>Kills every process the program started, and the program.</summary>
    void KillAll();
}
