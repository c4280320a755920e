namespace Recorder;

/// <summary>
/// Budgets a <see cref="RecordingReader"/> keeps to on any input. Memory is bounded whatever the
/// options: one frame and one segment's records (each at most 16 MiB by the format) are held at a
/// time, and no allocation is sized from a count in the file.
/// </summary>
public sealed record RecordingReaderOptions
{
    /// <summary>The defaults.</summary>
    public static RecordingReaderOptions Default { get; } = new();

    /// <summary>
    /// Records, in decompressed bytes, read before the reader stops with
    /// <see cref="RecordingDamage.BudgetExceeded"/>; bounds the time a small crafted file (segments
    /// that each decompress to the 16 MiB maximum) can take. Default: no limit.
    /// </summary>
    public long MaxDecompressedBytes { get; init; } = long.MaxValue;

    /// <summary>
    /// Input, output and unknown records' data points into the reader's buffer instead of a copy:
    /// valid only until the next event is read. For callers that consume each event before asking
    /// for the next (the replay tool); it saves a copy of every byte of a recording, and the garbage
    /// that would make a long recording's read take memory in proportion to its size before the
    /// garbage collector catches up. Default: copied.
    /// </summary>
    public bool ShareDataBuffers { get; init; }
}
