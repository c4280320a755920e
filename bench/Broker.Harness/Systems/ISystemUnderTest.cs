using Broker.Harness.Machine;
using Broker.Harness.Terminals;

namespace Broker.Harness.Systems;

/// <summary>One of the things compared: the broker, OpenSSH, or a PTY read directly.</summary>
internal interface ISystemUnderTest
{
    /// <summary>Column heading in the report.</summary>
    string Name { get; }

    /// <summary>Opens an interactive shell and waits until its prompt has been drawn.</summary>
    Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Opens a shell whose client runs in a process of its own, as an agent runs the system's
    /// client: load generated through it (a session streaming output) is not decoded in the
    /// harness's process, where it would slow the measuring session's client.
    /// </summary>
    Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken);

    /// <summary>The server-side processes whose memory and CPU a session costs, or null when there is no server.</summary>
    ServerProcesses? Server { get; }
}
