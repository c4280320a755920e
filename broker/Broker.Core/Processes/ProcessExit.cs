namespace Broker.Core.Processes;

/// <summary>How a child process ended.</summary>
/// <param name="Code">Shell-style exit code: the program's status, or 128 + signal.</param>
/// <param name="Signal">The signal that killed it, or 0.</param>
public readonly record struct ProcessExit(int Code, int Signal);
