using Broker.Policy;

namespace Broker.Server.Recording;

/// <summary>How large one session's recording may grow: its target's cap, and the data directory's free-space floor.</summary>
internal sealed record RecordingQuota(long MaxBytes, DataDirectorySpace? Space)
{
    /// <summary>No cap, no floor (a recording outside the broker's catalog).</summary>
    public static RecordingQuota Unlimited { get; } = new(long.MaxValue, null);

    /// <summary>Which limit a recording of <paramref name="written"/> bytes has reached, or null.</summary>
    public string? Reached(long written) =>
        written >= MaxBytes
            ? $"the session's recording reached its cap of {ByteSize.Format(MaxBytes)} (max_recording_size of the target)"
            : Space?.Shortage;
}
