namespace Broker.Core.Sessions;

/// <summary>Limits applied to every session (validated when configuration loads).</summary>
public sealed record SessionLimits
{
    /// <summary>Concurrent sessions one identity may hold.</summary>
    public int MaxSessionsPerIdentity { get; init; } = 16;

    /// <summary>A session with no input and no output for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>A session is closed after this long, whatever it is doing.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(8);

    /// <summary>How long before an idle or duration close the client is warned.</summary>
    public TimeSpan WarningBefore { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest input chunk a client may send in one frame.</summary>
    public int MaxInputFrameBytes { get; init; } = 64 * 1024;

    /// <summary>A session whose recording reaches this many bytes is ended, its recording sealed.</summary>
    public long MaxRecordingBytes { get; init; } = 1L << 30;

    /// <summary>Largest terminal width accepted.</summary>
    public int MaxColumns { get; init; } = 1000;

    /// <summary>Largest terminal height accepted.</summary>
    public int MaxRows { get; init; } = 1000;

    /// <summary>Checks the size of one input frame; returns the problem, or null when it is acceptable.</summary>
    public string? CheckInputFrame(int length) =>
        length > MaxInputFrameBytes ? $"input frame of {length} bytes exceeds the limit of {MaxInputFrameBytes} bytes" : null;

    /// <summary>Checks a terminal size; returns the problem, or null when it is acceptable.</summary>
    public string? CheckSize(long columns, long rows)
    {
        if (columns < 1 || rows < 1)
        {
            return $"terminal size {columns}x{rows} rejected: columns and rows must be at least 1";
        }

        if (columns > MaxColumns || rows > MaxRows)
        {
            return $"terminal size {columns}x{rows} rejected: the limit is {MaxColumns}x{MaxRows}";
        }

        return null;
    }
}
