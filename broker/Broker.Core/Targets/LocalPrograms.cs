using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Targets;

/// <summary>
/// Starts a program on this host as a target process, on a terminal or on pipes, with the broker's own event loop and
/// per-session containment: the building block of targets that run programs here without being a broker session's
/// shell (the emulated SSM instance of <c>serve --dev</c>).
/// </summary>
public static class LocalPrograms
{
    /// <summary>Starts <paramref name="request"/> on a new pseudo-terminal of the given size.</summary>
    /// <param name="request">What to run.</param>
    /// <param name="columns">Terminal width.</param>
    /// <param name="rows">Terminal height.</param>
    /// <returns>The process, or why it did not start.</returns>
    public static TargetStartResult StartOnTerminal(SpawnRequest request, int columns, int rows) =>
        PtyTerminalProcess.Start(request, columns, rows, FdEventLoop.Shared, ProcessContainment.BySessionId);

    /// <summary>Starts <paramref name="request"/> with pipes for stdin, stdout and stderr.</summary>
    /// <param name="request">What to run.</param>
    /// <returns>The process, or why it did not start.</returns>
    public static TargetStartResult StartWithPipes(SpawnRequest request) =>
        PipeCommandProcess.Start(request, FdEventLoop.Shared, ProcessContainment.BySessionId);
}
