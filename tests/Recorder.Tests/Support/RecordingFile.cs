using System.Buffers.Binary;
using Recorder.Format;
using ZstdSharp;

namespace Recorder.Tests.Support;

/// <summary>A recording taken apart into frames, so tests can tamper with it the way an attacker would.</summary>
internal sealed class RecordingFile
{
    private RecordingFile(List<RawFrame> frames) => Frames = frames;

    public List<RawFrame> Frames { get; }

    public IEnumerable<RawFrame> Segments => Frames.Where(f => f.Kind == FrameKind.Segment);

    public IEnumerable<RawFrame> Checkpoints => Frames.Where(f => f.Kind is FrameKind.Checkpoint or FrameKind.Seal);

    public static RecordingFile Parse(byte[] bytes)
    {
        var frames = new List<RawFrame>();
        var position = 8;
        while (position < bytes.Length)
        {
            var kind = (FrameKind)bytes[position];
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 1));
            frames.Add(new RawFrame(kind, position, bytes.AsSpan(position + 5, length).ToArray()));
            position += 5 + length;
        }

        return new RecordingFile(frames);
    }

    public byte[] ToBytes()
    {
        var output = new MemoryStream();
        output.Write(FileLayout.Magic);
        Span<byte> head = stackalloc byte[5];
        foreach (var frame in Frames)
        {
            FileLayout.WriteFrameHeader(head, frame.Kind, frame.Body.Length);
            output.Write(head);
            output.Write(frame.Body);
        }

        return output.ToArray();
    }

    /// <summary>The records of a segment, each as its complete encoded bytes.</summary>
    public static (long FirstRecord, List<byte[]> Records) DecodeSegment(RawFrame segment)
    {
        using var codec = new SegmentCodec();
        codec.TryDecode(segment.Body, out var info, out var data, out var error).Should().BeTrue(error);
        var records = new List<byte[]>();
        var position = 0;
        while (position < data.Length)
        {
            RecordScanner.TryRead(data.Span, position, out var record, out _).Should().BeTrue();
            records.Add(data.Span.Slice(record.Start, record.Length).ToArray());
            position += record.Length;
        }

        return (info.FirstRecord, records);
    }

    /// <summary>Re-encodes a segment from records, with consistent prefix and compression (what a careful attacker would do).</summary>
    public static RawFrame EncodeSegment(long firstRecord, IReadOnlyList<byte[]> records) =>
        EncodeSegment(firstRecord, records, level: 3);

    /// <summary>A segment of the given records, zstd-compressed at <paramref name="level"/>, with a prefix that may lie about the count or the length.</summary>
    public static RawFrame EncodeSegment(long firstRecord, IReadOnlyList<byte[]> records, int level, int? declaredCount = null, int? declaredLength = null)
    {
        var raw = new byte[records.Sum(r => r.Length)];
        var at = 0;
        foreach (var record in records)
        {
            record.CopyTo(raw, at);
            at += record.Length;
        }

        using var compressor = new Compressor(level);
        var compressed = compressor.Wrap(raw).ToArray();
        var body = new byte[FileLayout.SegmentPrefixLength + compressed.Length];
        SegmentCodec.WritePrefix(body, new SegmentInfo(firstRecord, declaredCount ?? records.Count, declaredLength ?? raw.Length, FileLayout.CompressionZstd));
        compressed.CopyTo(body, FileLayout.SegmentPrefixLength);
        return new RawFrame(FrameKind.Segment, 0, body);
    }

    /// <summary>One record's encoding: type, varint offset, varint length, payload.</summary>
    public static byte[] EncodeRecord(byte type, ulong offset, ReadOnlySpan<byte> payload)
    {
        var record = new byte[1 + 10 + 10 + payload.Length];
        record[0] = type;
        var length = 1 + Varint.Write(record.AsSpan(1), offset);
        length += Varint.Write(record.AsSpan(length), (ulong)payload.Length);
        payload.CopyTo(record.AsSpan(length));
        return record[..(length + payload.Length)];
    }

    /// <summary>The records of a segment without asserting anything (for mutating damaged input); null when it does not decode.</summary>
    public static (SegmentInfo Info, List<byte[]> Records)? TryDecodeSegment(RawFrame segment)
    {
        using var codec = new SegmentCodec();
        if (!codec.TryDecode(segment.Body, out var info, out var data, out _))
        {
            return null;
        }

        var records = new List<byte[]>();
        var position = 0;
        while (position < data.Length && RecordScanner.TryRead(data.Span, position, out var record, out _))
        {
            records.Add(data.Span.Slice(record.Start, record.Length).ToArray());
            position += record.Length;
        }

        return (info, records);
    }
}

internal sealed record RawFrame(FrameKind Kind, int Position, byte[] Body);
