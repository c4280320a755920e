using Broker.Harness.Machine;
using Broker.Harness.Systems;
using Broker.Harness.Terminals;
using Grpc.Core;

namespace Broker.Harness.Floor;

/// <summary>
/// A transport floor's server (<see cref="FloorServer"/>) as a system under test: its sessions are opened and typed in
/// a connection each, by the broker's own client code (<see cref="BrokerTerminal"/>) for the gRPC servers and by
/// <see cref="LeanTerminal"/> for lean-pty, which speaks its own protocol; its CPU is read from its process exactly as
/// the broker's is.
/// </summary>
internal sealed class FloorSystem : ISystemUnderTest
{
    private readonly Uri _address;
    private readonly bool _lean;

    public FloorSystem(FloorServerAddress server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Name = server.Name;
        _address = server.Address;
        _lean = server.Name == FloorServer.LeanMode;
        Server = new ServerProcesses(server.ProcessId, includeDescendants: false);
    }

    public string Name { get; }

    public ServerProcesses Server { get; }

    public async Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken)
    {
        var terminal = _lean
            ? await LeanTerminal.OpenAsync(_address, cancellationToken).ConfigureAwait(false)
            : await OpenGrpcAsync(cancellationToken).ConfigureAwait(false);
        return await TerminalReadiness.ReadyAsync(terminal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Only the concurrency measurement drives these, always from the harness's or a client worker's process.</summary>
    public Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken) => OpenTerminalAsync(cancellationToken);

    private async Task<ITerminal> OpenGrpcAsync(CancellationToken cancellationToken)
    {
        var channel = BrokerSystem.NewChannel(_address);
        try
        {
            // No token: the floor servers authenticate nobody.
            return await BrokerTerminal.OpenAsync(channel, new Metadata(), "floor", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }
}
