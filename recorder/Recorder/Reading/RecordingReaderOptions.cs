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
}
