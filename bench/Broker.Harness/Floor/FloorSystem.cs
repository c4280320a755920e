using Broker.Harness.Machine;
using Broker.Harness.Systems;
using Broker.Harness.Terminals;
using Grpc.Core;

namespace Broker.Harness.Floor;

/// <summary>
/// A transport floor's server (<see cref="FloorServer"/>) as a system under test: its sessions are opened and typed in
/// by the broker's own client code (<see cref="BrokerTerminal"/>, a connection per session), and its CPU is read from
/// its process exactly as the broker's is.
/// </summary>
internal sealed class FloorSystem : ISystemUnderTest
{
    private readonly Uri _address;

    public FloorSystem(FloorServerAddress server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Name = server.Name;
        _address = server.Address;
        Server = new ServerProcesses(server.ProcessId, includeDescendants: false);
    }

    public string Name { get; }

    public ServerProcesses Server { get; }

    public async Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken)
    {
        var channel = BrokerSystem.NewChannel(_address);
        BrokerTerminal terminal;
        try
        {
            // No token: the floor servers authenticate nobody.
            terminal = await BrokerTerminal.OpenAsync(channel, new Metadata(), "floor", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            channel.Dispose();
            throw;
        }

        return await TerminalReadiness.ReadyAsync(terminal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Only the concurrency measurement drives these, always from the harness's or a client worker's process.</summary>
    public Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken) => OpenTerminalAsync(cancellationToken);
}
