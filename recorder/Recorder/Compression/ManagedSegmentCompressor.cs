using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Recorder.Compression;

/// <summary>zstd in managed code (ZstdSharp): used where the system has no libzstd.</summary>
internal sealed class ManagedSegmentCompressor : SegmentCompressor
{
    private readonly Compressor _compressor;

    public ManagedSegmentCompressor(int level)
    {
        _compressor = new Compressor(level);
        _compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        if (HashLogFor(level) is { } hashLog)
        {
            _compressor.SetParameter(ZSTD_cParameter.ZSTD_c_hashLog, hashLog);
        }
    }

    public override string Implementation => "ZstdSharp";

    public override int Bound(int length) => Compressor.GetCompressBound(length);

    public override int Compress(ReadOnlySpan<byte> source, Span<byte> destination) => _compressor.Wrap(source, destination);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _compressor.Dispose();
        }
    }
}
