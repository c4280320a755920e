using System.Globalization;
using Broker.Harness.Systems;

namespace Broker.Harness.Floor;

/// <summary>One of the transport floor's running servers, as bench/run passes it: <c>NAME=PID@URL</c>.</summary>
internal sealed record FloorServerAddress(string Name, int ProcessId, Uri Address)
{
    /// <summary>The server as a system under test.</summary>
    public ISystemUnderTest System() => new FloorSystem(this);

    /// <summary>
    /// Parses <c>--floor-systems</c>: comma-separated <c>NAME=PID@URL</c>, each name a floor server's mode
    /// (<see cref="FloorServer.Modes"/>) at most once; empty gives none.
    /// </summary>
    public static (IReadOnlyList<FloorServerAddress> Servers, string? Error) ParseList(string value)
    {
        var servers = new List<FloorServerAddress>();
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            var at = item.IndexOf('@', StringComparison.Ordinal);
            if (equals <= 0 || at < equals
                || !FloorServer.Modes.Contains(item[..equals])
                || !int.TryParse(item[(equals + 1)..at], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0
                || !Uri.TryCreate(item[(at + 1)..], UriKind.Absolute, out var url))
            {
                return ([], $"--floor-systems takes NAME=PID@URL,... ({string.Join(", ", FloorServer.Modes)}), not '{item}'");
            }

            servers.Add(new FloorServerAddress(item[..equals], pid, url));
        }

        return servers.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() == servers.Count
            ? (servers, null)
            : ([], "--floor-systems names each server once");
    }
}
