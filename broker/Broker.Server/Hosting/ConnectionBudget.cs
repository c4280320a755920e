using Broker.Policy;

namespace Broker.Server.Hosting;

/// <summary>
/// How many connections the broker takes, derived from its descriptor limit: a reserve is kept for
/// sessions (a terminal or three pipes, a process handle, a recording file each), so that connections
/// are refused, gracefully, before a session could fail for want of a descriptor.
/// </summary>
internal sealed record ConnectionBudget(long DescriptorLimit, int Reserve, int MaxConnections, int MaxUnauthenticated, TimeSpan UnauthenticatedTimeout, int MaxStreamsPerConnection, TimeSpan RequestHeadersTimeout)
{
    /// <summary>Works out the budget; the error names the setting when the configured limits cannot be met.</summary>
    public static (ConnectionBudget? Budget, string? Error) Plan(ConnectionLimitsDefinition limits, long descriptorLimit)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var available = (int)Math.Min(descriptorLimit, int.MaxValue);
        var reserve = limits.DescriptorReserve ?? Math.Max(64, available / 4);
        if (reserve >= available)
        {
            return (null, $"server.limits.descriptor_reserve ({reserve}) leaves no descriptor for connections: the descriptor limit is {descriptorLimit} (raise it: ulimit -n, or LimitNOFILE= in a systemd unit)");
        }

        var connections = limits.MaxConnections ?? available - reserve;
        if (connections > available - reserve)
        {
            return (null, $"server.limits.max_connections ({connections}) and the {reserve} descriptors kept for sessions need {(long)connections + reserve} descriptors, but the limit is {descriptorLimit} (raise it: ulimit -n, or LimitNOFILE= in a systemd unit)");
        }

        var unauthenticated = Math.Min(limits.MaxUnauthenticatedConnections ?? Math.Max(1, connections / 2), connections);
        return (new ConnectionBudget(descriptorLimit, reserve, connections, unauthenticated, limits.UnauthenticatedTimeout, limits.MaxStreamsPerConnection, limits.RequestHeadersTimeout), null);
    }

    /// <summary>One line for the start-up log.</summary>
    public string Describe() =>
        $"up to {MaxConnections} connections ({MaxUnauthenticated} unauthenticated, each for at most {UnauthenticatedTimeout.TotalSeconds:0} s); descriptor limit {DescriptorLimit}, {Reserve} kept for sessions";
}
