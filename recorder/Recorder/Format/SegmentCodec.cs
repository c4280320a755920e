using System.Buffers.Binary;
using ZstdSharp;

namespace Recorder.Format;

/// <summary>A segment's prefix: which records it holds and how they are compressed.</summary>
internal readonly record struct SegmentInfo(long FirstRecord, int RecordCount, int UncompressedLength, byte Compression);

/// <summary>Decodes segment frame bodies: the 17-byte prefix, then zstd-compressed records.</summary>
internal sealed class SegmentCodec : IDisposable
{
    private readonly Decompressor _decompressor = new();
    private byte[] _buffer = new byte[256 * 1024];

    public static void WritePrefix(Span<byte> destination, SegmentInfo info)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, info.FirstRecord);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], info.RecordCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], info.UncompressedLength);
        destination[16] = info.Compression;
    }

    /// <summary>Reads a segment body's prefix without decompressing anything; false when it is cut short or out of range.</summary>
    public static bool TryReadPrefix(ReadOnlySpan<byte> body, out SegmentInfo info)
    {
        info = default;
        if (body.Length < FileLayout.SegmentPrefixLength)
        {
            return false;
        }

        info = new SegmentInfo(
            BinaryPrimitives.ReadInt64LittleEndian(body),
            BinaryPrimitives.ReadInt32LittleEndian(body[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[12..]),
            body[16]);
        return info.RecordCount >= 0 && info.UncompressedLength >= 0 && info.UncompressedLength <= FileLayout.MaxFrameBodyLength;
    }

    /// <summary>Decompresses a segment body; the returned memory is valid until the next call.</summary>
    public bool TryDecode(ReadOnlySpan<byte> body, out SegmentInfo info, out ReadOnlyMemory<byte> records, out string? error)
    {
        records = default;
        error = null;
        if (!TryReadPrefix(body, out info))
        {
            error = body.Length < FileLayout.SegmentPrefixLength ? "segment is shorter than its prefix" : "segment prefix is not valid";
            return false;
        }

        var payload = body[FileLayout.SegmentPrefixLength..];
        if (info.Compression == FileLayout.CompressionNone)
        {
            if (payload.Length != info.UncompressedLength)
            {
                error = "uncompressed segment length does not match its prefix";
                return false;
            }

            EnsureBuffer(payload.Length);
            payload.CopyTo(_buffer);
            records = _buffer.AsMemory(0, payload.Length);
            return true;
        }

        if (info.Compression != FileLayout.CompressionZstd)
        {
            error = $"unknown compression {info.Compression}";
            return false;
        }

        EnsureBuffer(info.UncompressedLength);
        try
        {
            var length = _decompressor.Unwrap(payload, _buffer.AsSpan(0, info.UncompressedLength));
            if (length != info.UncompressedLength)
            {
                error = "decompressed length does not match the segment prefix";
                return false;
            }

            records = _buffer.AsMemory(0, length);
            return true;
        }
        catch (ZstdException e)
        {
            error = $"segment does not decompress ({e.Message})";
            return false;
        }
    }

    public void Dispose() => _decompressor.Dispose();

    private void EnsureBuffer(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        }
    }
}
