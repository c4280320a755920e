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

    /// <summary>
    /// Reads a segment body's prefix without decompressing anything; false when it is cut short or
    /// cannot be true: a length over the maximum, or more records than its length could hold.
    /// </summary>
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
        return info.FirstRecord >= 0
            && info.RecordCount >= 0
            && info.UncompressedLength >= 0
            && info.UncompressedLength <= FileLayout.MaxFrameBodyLength
            && info.RecordCount <= info.UncompressedLength / FileLayout.MinRecordLength;
    }

    /// <summary>
    /// Decompresses a segment body into a buffer of at most its declared length (never more than
    /// the format's maximum); the returned memory is valid until the next call. On failure,
    /// <paramref name="records"/> holds what decompressed before the damage (possibly nothing), so a
    /// reader can still show the records that precede it.
    /// </summary>
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
        var declared = info.UncompressedLength;
        EnsureBuffer(declared);
        if (info.Compression == FileLayout.CompressionNone)
        {
            var kept = Math.Min(payload.Length, declared);
            payload[..kept].CopyTo(_buffer);
            records = _buffer.AsMemory(0, kept);
            if (payload.Length != declared)
            {
                error = "uncompressed segment length does not match its prefix";
                return false;
            }

            return true;
        }

        if (info.Compression != FileLayout.CompressionZstd)
        {
            error = $"unknown compression {info.Compression}";
            return false;
        }

        try
        {
            var length = _decompressor.Unwrap(payload, _buffer.AsSpan(0, declared));
            records = _buffer.AsMemory(0, length);
            if (length != declared)
            {
                error = $"segment decompresses to {length} bytes, not the {declared} its prefix declares";
                return false;
            }

            return true;
        }
        catch (Exception e) when (IsDecompressionFailure(e))
        {
            // Damaged, or bigger than declared: decompress again as a stream to keep what precedes the damage.
            var salvaged = Salvage(payload, declared, out error);
            records = _buffer.AsMemory(0, salvaged);
            error ??= $"segment does not decompress ({e.Message})";
            return false;
        }
    }

    public void Dispose() => _decompressor.Dispose();

    private int Salvage(ReadOnlySpan<byte> payload, int declared, out string? error)
    {
        error = null;
        var total = 0;
        using var input = new MemoryStream(payload.ToArray(), writable: false);
        using var stream = new DecompressionStream(input);
        try
        {
            int read;
            while (total < declared && (read = stream.Read(_buffer, total, declared - total)) > 0)
            {
                total += read;
            }

            Span<byte> more = stackalloc byte[1];
            if (total == declared && stream.Read(more) > 0)
            {
                error = $"segment decompresses to more than the {declared} bytes its prefix declares";
            }
        }
        catch (Exception e) when (IsDecompressionFailure(e))
        {
            error = $"segment does not decompress after {total} bytes ({e.Message})";
        }

        return total;
    }

    private static bool IsDecompressionFailure(Exception e) =>
        e is ZstdException or EndOfStreamException or InvalidDataException or ArgumentException or IOException;

    private void EnsureBuffer(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Min(FileLayout.MaxFrameBodyLength, Math.Max(length, _buffer.Length * 2))];
        }
    }
}
