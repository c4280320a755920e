using Broker.Harness.Machine;
using Broker.Harness.Terminals;

namespace Broker.Harness.Systems;

/// <summary>
/// Broker replicas over one PostgreSQL database, measured as one system: terminals open round-robin over the
/// replicas (as a load balancer spreads connections), and the server's memory and CPU are the replicas' together.
/// The replicas trust one token issuer, so a token minted from one replica's data directory is valid on all.
/// </summary>
internal sealed class ReplicaSetSystem : ISystemUnderTest, IDisposable
{
    private readonly BrokerSystem[] _replicas;
    private int _next = -1;

    /// <param name="subjectPrefix">Names replica i's subjects <c>PREFIXi-N</c>: processes sharing the issuer use different ones.</param>
    public ReplicaSetSystem(IReadOnlyList<Uri> addresses, IReadOnlyList<int> processIds, string dataDirectory, string target, IReadOnlyList<string> groups, string agentClient, string subjectPrefix = "replica")
    {
        if (addresses.Count == 0 || addresses.Count != processIds.Count)
        {
            throw new ArgumentException("one process id per replica address", nameof(processIds));
        }

        _replicas = [.. addresses.Select((address, i) => new BrokerSystem(address, dataDirectory, target, groups, processIds[i], agentClient, $"{subjectPrefix}{i}"))];
        Server = new ServerProcesses(processIds, includeDescendants: false);
        Name = $"broker, {addresses.Count} replicas";
    }

    public string Name { get; }

    public ServerProcesses Server { get; }

    public Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken) => Next().OpenTerminalAsync(cancellationToken);

    public Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken) => Next().OpenClientProcessTerminalAsync(cancellationToken);

    public void Dispose()
    {
        foreach (var replica in _replicas)
        {
            replica.Dispose();
        }
    }

    private BrokerSystem Next() => _replicas[(int)((uint)Interlocked.Increment(ref _next) % (uint)_replicas.Length)];
}
