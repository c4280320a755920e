namespace Recorder;

/// <summary>How a <see cref="RecordingWriter"/> trades durability against cost. Validated when the writer is created.</summary>
public sealed record RecordingWriterOptions
{
    /// <summary>Longest time an appended event may wait before it is written to the destination. Default 1 s.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Flush the destination (fsync for a <see cref="FileStream"/>) after every segment, not just every interval.</summary>
    public bool Sync { get; init; }

    /// <summary>Also sign a checkpoint once this many records have been written since the last one; 0 disables the count trigger.</summary>
    public int CheckpointEveryRecords { get; init; }

    /// <summary>
    /// Sign a checkpoint when this much time has passed since the last one and there are new records.
    /// Default 1 s, so after a crash at most about one flush interval is unverifiable.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Uncompressed bytes collected before a segment is compressed and written. Default 1 MiB: on
    /// typical shell output this compresses better and costs less CPU than smaller segments (measured by
    /// bench/Broker.Bench/Recorder). A timed flush writes a shorter segment.
    /// </summary>
    public int SegmentBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Bytes of appended events that may wait for the background writer before the session is held:
    /// <see cref="RecordingWriter.WaitForCapacityAsync"/> (which the session's output and input call
    /// before they append) waits while the writer is further behind than this, until it has caught up to
    /// half of it. Default 4 MiB: a few segments, so the writer always has the next one ready.
    /// </summary>
    public long MaxPendingBytes { get; init; } = 4L * 1024 * 1024;

    /// <summary>
    /// A writer that has work and writes nothing at all for this long faults (its storage hangs), which
    /// ends the session; a slow writer that still makes progress never does. Default 30 s.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The clock a stall is measured on: the wall clock unless set. A hung mount is a fact of real time, while the
    /// recording's own clock may be a test's, moved on by minutes while a write is in progress (which would make
    /// that write look stalled).
    /// </summary>
    public TimeProvider? StallClock { get; init; }

    /// <summary>
    /// How far appends that do not wait for capacity may outrun the writer before it faults: 16 times
    /// <see cref="MaxPendingBytes"/>, at least 64 MiB. Only a producer that ignores back-pressure reaches it.
    /// </summary>
    public long HardPendingBytes => Math.Max(MaxPendingBytes * 16, 64L * 1024 * 1024);

    /// <summary>zstd compression level. Default 1 (level 3 is about half the speed for 1-2 % better size).</summary>
    public int CompressionLevel { get; init; } = 1;

    /// <summary>Leave the destination stream open when the writer is disposed.</summary>
    public bool LeaveOpen { get; init; }

    internal void Validate()
    {
        if (FlushInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FlushInterval), FlushInterval, "must be positive");
        }

        if (CheckpointInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), CheckpointInterval, "must be positive");
        }

        if (StallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StallTimeout), StallTimeout, "must be positive");
        }

        if (CheckpointEveryRecords < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointEveryRecords), CheckpointEveryRecords, "must not be negative");
        }

        if (SegmentBytes is < 4096 or > 4 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentBytes), SegmentBytes, "must be between 4 KiB and 4 MiB");
        }

        if (MaxPendingBytes < SegmentBytes * 2L)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPendingBytes), MaxPendingBytes, "must hold at least two segments");
        }

        if (CompressionLevel is < 1 or > 19)
        {
            throw new ArgumentOutOfRangeException(nameof(CompressionLevel), CompressionLevel, "must be between 1 and 19");
        }
    }
}
