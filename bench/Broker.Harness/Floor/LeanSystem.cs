using Broker.Harness.Machine;
using Broker.Harness.Systems;
using Broker.Harness.Terminals;

namespace Broker.Harness.Floor;

/// <summary>
/// The lean-pty floor server (<see cref="LeanServer"/>) as a system under test: its sessions are <see cref="LeanTerminal"/>s
/// (a connection each), and its CPU is read from its process exactly as the broker's and the gRPC floor servers' is.
/// </summary>
internal sealed class LeanSystem : ISystemUnderTest
{
    private readonly Uri _address;

    public LeanSystem(FloorServerAddress server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Name = server.Name;
        _address = server.Address;
        Server = new ServerProcesses(server.ProcessId, includeDescendants: false);
    }

    public string Name { get; }

    public ServerProcesses Server { get; }

    public async Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken) =>
        await TerminalReadiness.ReadyAsync(await LeanTerminal.OpenAsync(_address, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Only the concurrency measurement drives these, always from the harness's or a client worker's process.</summary>
    public Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken) => OpenTerminalAsync(cancellationToken);
}
