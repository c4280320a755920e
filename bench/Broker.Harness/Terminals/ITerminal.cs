namespace Broker.Harness.Terminals;

/// <summary>An open interactive shell on one of the systems under test, as its client sees it.</summary>
internal interface ITerminal : IAsyncDisposable
{
    /// <summary>Output as it arrives at the client.</summary>
    OutputMonitor Output { get; }

    /// <summary>Sends keystrokes (bytes as a terminal would send them).</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken);
}
