namespace Broker.Server.Recording;

/// <summary>The limits recordings are held to: each target's cap, and the data directory's free-space floor.</summary>
internal sealed class RecordingLimits(IReadOnlyDictionary<string, long> caps, DataDirectorySpace? space)
{
    /// <summary>No caps, no floor.</summary>
    public static RecordingLimits None { get; } = new(new Dictionary<string, long>(StringComparer.Ordinal), null);

    /// <summary>The data directory's free space against its floor, when a floor is kept.</summary>
    public DataDirectorySpace? Space => space;

    /// <summary>The quota of a new recording on <paramref name="target"/>.</summary>
    public RecordingQuota QuotaFor(string target) => new(caps.TryGetValue(target, out var cap) ? cap : long.MaxValue, space);

    /// <summary>Why no session may start now (the disk is below its floor, read afresh), or null.</summary>
    public string? RefuseNewSessions()
    {
        space?.Refresh();
        return space?.Shortage is { } shortage ? $"{shortage}; new sessions are refused until space is freed" : null;
    }
}
