namespace Recorder.Compression;

/// <summary>
/// Compresses a segment's records into one zstd frame with a content checksum. The system's libzstd when it loads
/// (the recorder's largest cost per byte of output: the native library compresses about 1.6× as fast as the managed
/// port at level 1 on the broker's hosts, docs/BENCHMARKS.md), otherwise ZstdSharp. Both write the same frame format,
/// which either decodes. Not thread-safe: one per writer.
/// </summary>
internal abstract class SegmentCompressor : IDisposable
{
    /// <summary>Which implementation compresses (for tests and diagnostics).</summary>
    public abstract string Implementation { get; }

    /// <summary>A compressor at <paramref name="level"/>: the native one when libzstd is on the system.</summary>
    public static SegmentCompressor Create(int level) =>
        NativeZstd.IsAvailable ? new NativeSegmentCompressor(level) : new ManagedSegmentCompressor(level);

    /// <summary>
    /// The hash table size (log2 of its entries) for <paramref name="level"/>, or null for the level's own. At level 1, the
    /// recorder's default, libzstd picks 2^14 entries for a 1 MiB segment; 2^12 fits the core's L1/L2 caches and compressed
    /// terminal text about 20 % faster per CPU second at the same ratio (13.0 % against 13.2 %, docs/BENCHMARKS.md).
    /// Higher levels are chosen for their ratio and keep their own table.
    /// </summary>
    protected static int? HashLogFor(int level) => level == 1 ? 12 : null;

    /// <summary>The largest frame <paramref name="length"/> bytes can compress to.</summary>
    public abstract int Bound(int length);

    /// <summary>Compresses all of <paramref name="source"/> into <paramref name="destination"/> (at least <see cref="Bound"/> long); returns the frame's length.</summary>
    public abstract int Compress(ReadOnlySpan<byte> source, Span<byte> destination);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);
}
