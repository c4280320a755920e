namespace Recorder.Compression;

/// <summary>zstd through the system's libzstd (<see cref="NativeZstd"/>).</summary>
internal sealed unsafe class NativeSegmentCompressor : SegmentCompressor
{
    private readonly ZstdContextHandle _context;

    public NativeSegmentCompressor(int level)
    {
        _context = NativeZstd.ZSTD_createCCtx();
        if (_context.IsInvalid)
        {
            throw new InsufficientMemoryException("libzstd could not allocate a compression context");
        }

        NativeZstd.Check(NativeZstd.ZSTD_CCtx_setParameter(_context, NativeZstd.CompressionLevel, level), "setting the level");
        NativeZstd.Check(NativeZstd.ZSTD_CCtx_setParameter(_context, NativeZstd.ChecksumFlag, 1), "turning the checksum on");
        if (HashLogFor(level) is { } hashLog)
        {
            NativeZstd.Check(NativeZstd.ZSTD_CCtx_setParameter(_context, NativeZstd.HashLog, hashLog), "setting the hash table size");
        }
    }

    public override string Implementation => "libzstd";

    public override int Bound(int length) => checked((int)NativeZstd.ZSTD_compressBound((nuint)length));

    public override int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* input = source)
        fixed (byte* output = destination)
        {
            var written = NativeZstd.ZSTD_compress2(_context, output, (nuint)destination.Length, input, (nuint)source.Length);
            NativeZstd.Check(written, "compressing a segment");
            return checked((int)written);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _context.Dispose();
        }
    }
}
