using System.Buffers.Binary;

namespace Recorder.Format;

/// <summary>Constants of the on-disk layout; docs/recording-format.md is the normative description.</summary>
internal static class FileLayout
{
    /// <summary>"BRKREC", a zero byte, then the format version.</summary>
    public static ReadOnlySpan<byte> Magic => [0x42, 0x52, 0x4B, 0x52, 0x45, 0x43, 0x00, 0x01];

    public const int FrameHeaderLength = 5;

    /// <summary>Bigger frames are never written; a reader treats one as corruption rather than allocating it.</summary>
    public const int MaxFrameBodyLength = 16 * 1024 * 1024;

    /// <summary>first record index (8), record count (4), uncompressed length (4), compression (1).</summary>
    public const int SegmentPrefixLength = 17;

    public const byte CompressionNone = 0;
    public const byte CompressionZstd = 1;

    /// <summary>Shortest record: a type byte, a one-byte offset and a one-byte length.</summary>
    public const int MinRecordLength = 3;

    /// <summary>Longest record header: type (1), offset varint (10), length varint (5).</summary>
    public const int MaxRecordHeaderLength = 16;

    public static ReadOnlySpan<byte> ChainDomain => "BRKREC-CHAIN-V1"u8;

    public static void WriteFrameHeader(Span<byte> destination, FrameKind kind, int bodyLength)
    {
        destination[0] = (byte)kind;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)bodyLength);
    }
}
