using System.Buffers.Binary;
using System.Text;
using Recorder.Format;
using Recorder.Tests.Support;

namespace Recorder.Tests.Fuzzing;

/// <summary>
/// A structure-aware mutator of real recordings: it takes a file apart into frames, segments and
/// records and changes what a reader must not trust — frame lengths and kinds, segment counts,
/// lengths, first records and compression, the zstd frames themselves, record types, offsets and
/// lengths, field text and JSON shapes, header fields, checkpoint fields — then puts it back
/// together (with consistent compression, as a careful attacker would, or not). Deterministic for a seed.
/// </summary>
internal sealed class RecordingMutator(Random random)
{
    private static readonly string[] HostileTexts = [.. HostileText.Corpus.Select(c => c.Text), CraftedRecordings.Hostile, new string('x', 70_000), "", "\ud800"];

    private static readonly int[] InterestingInts = [0, 1, -1, 2, 16, 255, 256, 4096, 65535, 1 << 20, (16 << 20) - 1, 16 << 20, (16 << 20) + 1, 300_000_000, int.MaxValue, int.MinValue];

    private static readonly long[] InterestingLongs = [0, 1, -1, 1L << 31, 1L << 32, 1L << 62, long.MaxValue, long.MinValue, 9_999];

    /// <summary>Applies one to three mutations to a copy of <paramref name="seed"/>; <paramref name="applied"/> names them.</summary>
    public byte[] Mutate(byte[] seed, out string applied)
    {
        var names = new List<string>();
        RecordingFile file;
        try
        {
            file = ParseLeniently(seed);
        }
        catch (ArgumentException)
        {
            applied = "raw byte flip";
            return FlipBytes(seed);
        }

        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var (name, mutation) = Pick();
            names.Add(name);
            mutation(file);
        }

        var bytes = file.ToBytes();
        if (random.Next(10) == 0)
        {
            names.Add("truncate");
            bytes = bytes[..random.Next(0, bytes.Length)];
        }

        applied = string.Join(", ", names);
        return bytes;
    }

    private (string Name, Action<RecordingFile> Mutation) Pick() => random.Next(16) switch
    {
        0 => ("frame length", FrameLength),
        1 => ("frame kind", FrameKindByte),
        2 => ("drop, repeat or swap frames", Reorder),
        3 => ("segment first record", f => Prefix(f, 0)),
        4 => ("segment record count", f => Prefix(f, 8)),
        5 => ("segment uncompressed length", f => Prefix(f, 12)),
        6 => ("segment compression byte", CompressionByte),
        7 => ("zstd frame bytes", ZstdBytes),
        8 => ("zstd frame larger than declared", ZstdLarger),
        9 => ("record type", f => Records(f, MutateType)),
        10 => ("record offset", f => Records(f, MutateOffset)),
        11 => ("record length", f => Records(f, MutateLength)),
        12 => ("record field text", f => Records(f, MutatePayload)),
        13 => ("header field", Header),
        14 => ("checkpoint field", CheckpointField),
        _ => ("uncompressed segment", Uncompressed),
    };

    private static RecordingFile ParseLeniently(byte[] bytes)
    {
        // Seeds are well-formed, so this never fails on them; mutants are never parsed again.
        return RecordingFile.Parse(bytes);
    }

    private byte[] FlipBytes(byte[] seed)
    {
        var copy = seed.ToArray();
        for (var i = 0; i < 4 && copy.Length > 0; i++)
        {
            copy[random.Next(copy.Length)] ^= (byte)random.Next(1, 256);
        }

        return copy;
    }

    private RawFrame? PickFrame(RecordingFile file, Func<RawFrame, bool>? where = null)
    {
        var frames = file.Frames.Where(where ?? (_ => true)).ToList();
        return frames.Count == 0 ? null : frames[random.Next(frames.Count)];
    }

    private static void Replace(RecordingFile file, RawFrame old, RawFrame replacement) => file.Frames[file.Frames.IndexOf(old)] = replacement;

    private void FrameLength(RecordingFile file)
    {
        // The length is written from the body when the file is put together; a frame whose body is
        // cut or padded is what a lying length looks like once the next frame is read.
        if (PickFrame(file) is not { } frame)
        {
            return;
        }

        var body = random.Next(3) switch
        {
            0 => frame.Body[..random.Next(0, frame.Body.Length + 1)],
            1 => [.. frame.Body, .. new byte[random.Next(1, 64)]],
            _ => [],
        };
        Replace(file, frame, frame with { Body = body });
    }

    private void FrameKindByte(RecordingFile file)
    {
        if (PickFrame(file) is not { } frame)
        {
            return;
        }

        byte[] kinds = [(byte)'H', (byte)'S', (byte)'C', (byte)'Z', 0, (byte)random.Next(256)];
        Replace(file, frame, frame with { Kind = (FrameKind)kinds[random.Next(kinds.Length)] });
    }

    private void Reorder(RecordingFile file)
    {
        if (file.Frames.Count < 2)
        {
            return;
        }

        var i = random.Next(1, file.Frames.Count);
        var j = random.Next(1, file.Frames.Count);
        switch (random.Next(3))
        {
            case 0:
                file.Frames.RemoveAt(i);
                break;
            case 1:
                file.Frames.Insert(j, file.Frames[i]);
                break;
            default:
                (file.Frames[i], file.Frames[j]) = (file.Frames[j], file.Frames[i]);
                break;
        }
    }

    private void Prefix(RecordingFile file, int at)
    {
        if (PickFrame(file, f => f.Kind == FrameKind.Segment && f.Body.Length >= FileLayout.SegmentPrefixLength) is not { } frame)
        {
            return;
        }

        var body = frame.Body.ToArray();
        if (at == 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(body, InterestingLongs[random.Next(InterestingLongs.Length)]);
        }
        else
        {
            var current = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(at));
            var value = random.Next(2) == 0 ? InterestingInts[random.Next(InterestingInts.Length)] : current + random.Next(-3, 4);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(at), value);
        }

        Replace(file, frame, frame with { Body = body });
    }

    private void CompressionByte(RecordingFile file)
    {
        if (PickFrame(file, f => f.Kind == FrameKind.Segment && f.Body.Length >= FileLayout.SegmentPrefixLength) is not { } frame)
        {
            return;
        }

        var body = frame.Body.ToArray();
        body[16] = (byte)(random.Next(3) == 0 ? random.Next(256) : random.Next(3));
        Replace(file, frame, frame with { Body = body });
    }

    private void ZstdBytes(RecordingFile file)
    {
        if (PickFrame(file, f => f.Kind == FrameKind.Segment && f.Body.Length > FileLayout.SegmentPrefixLength) is not { } frame)
        {
            return;
        }

        var body = frame.Body.ToArray();
        var payload = body.Length - FileLayout.SegmentPrefixLength;
        for (var i = 0; i < random.Next(1, 6); i++)
        {
            // The frame header (first bytes), block headers and the checksum (last 4) are all fair game.
            var at = FileLayout.SegmentPrefixLength + (random.Next(3) switch { 0 => random.Next(Math.Min(payload, 16)), 1 => payload - 1 - random.Next(Math.Min(payload, 4)), _ => random.Next(payload) });
            body[at] ^= (byte)random.Next(1, 256);
        }

        Replace(file, frame, frame with { Body = body });
    }

    private void ZstdLarger(RecordingFile file)
    {
        if (PickFrame(file, f => f.Kind == FrameKind.Segment) is not { } frame || RecordingFile.TryDecodeSegment(frame) is not { } decoded)
        {
            return;
        }

        // Honest records, then a lie: the prefix keeps its length while the data grows.
        var records = decoded.Records.Concat(Enumerable.Repeat(RecordingFile.EncodeRecord((byte)RecordType.Output, 0, new byte[random.Next(1, 200_000)]), random.Next(1, 8))).ToList();
        var segment = RecordingFile.EncodeSegment(decoded.Info.FirstRecord, records, level: 1, declaredCount: decoded.Info.RecordCount, declaredLength: decoded.Info.UncompressedLength);
        Replace(file, frame, segment);
    }

    private void Uncompressed(RecordingFile file)
    {
        if (PickFrame(file, f => f.Kind == FrameKind.Segment) is not { } frame || RecordingFile.TryDecodeSegment(frame) is not { } decoded)
        {
            return;
        }

        var raw = decoded.Records.SelectMany(r => r).ToArray();
        var body = new byte[FileLayout.SegmentPrefixLength + raw.Length + random.Next(-1, 2) * (raw.Length > 0 ? 1 : 0)];
        SegmentCodec.WritePrefix(body, new SegmentInfo(decoded.Info.FirstRecord, decoded.Records.Count, raw.Length, FileLayout.CompressionNone));
        raw.AsSpan(0, Math.Min(raw.Length, body.Length - FileLayout.SegmentPrefixLength)).CopyTo(body.AsSpan(FileLayout.SegmentPrefixLength));
        Replace(file, frame, new RawFrame(FrameKind.Segment, 0, body));
    }

    private void Records(RecordingFile file, Func<byte[], byte[]> mutate)
    {
        if (PickFrame(file, f => f.Kind == FrameKind.Segment) is not { } frame || RecordingFile.TryDecodeSegment(frame) is not { } decoded || decoded.Records.Count == 0)
        {
            return;
        }

        var records = decoded.Records;
        var index = random.Next(records.Count);
        records[index] = mutate(records[index]);
        Replace(file, frame, RecordingFile.EncodeSegment(decoded.Info.FirstRecord, records, level: 1));
    }

    private byte[] MutateType(byte[] record)
    {
        var copy = record.ToArray();
        copy[0] = (byte)(random.Next(2) == 0 ? random.Next(1, 11) : random.Next(256));
        return copy;
    }

    private byte[] MutateOffset(byte[] record)
    {
        var (type, _, payload) = Split(record);
        if (random.Next(4) == 0)
        {
            // An overlong varint: ten bytes, the last beyond 64 bits.
            return [type, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, (byte)payload.Length, .. payload];
        }

        var offset = random.Next(3) switch { 0 => 1UL << 62, 1 => (ulong)long.MaxValue, _ => (ulong)random.NextInt64(0, 1L << 40) };
        return RecordingFile.EncodeRecord(type, offset, payload);
    }

    private byte[] MutateLength(byte[] record)
    {
        var (type, offset, payload) = Split(record);
        var encoded = RecordingFile.EncodeRecord(type, offset, payload);
        var lengthAt = 1 + Varint.Write(stackalloc byte[10], offset);
        var claimed = random.Next(2) == 0 ? (ulong)InterestingLongs[random.Next(InterestingLongs.Length)] : (ulong)Math.Max(0, payload.Length + random.Next(-5, 6));
        Span<byte> varint = stackalloc byte[10];
        var written = Varint.Write(varint, claimed);
        return [.. encoded.AsSpan(0, lengthAt), .. varint[..written], .. payload];
    }

    private byte[] MutatePayload(byte[] record)
    {
        var (type, offset, payload) = Split(record);
        var text = Encoding.UTF8.GetString(payload);
        var hostile = HostileTexts[random.Next(HostileTexts.Length)];
        byte[] mutated = random.Next(7) switch
        {
            // Field text: a string value replaced by hostile text (JSON-escaped, so it still parses).
            0 or 1 => Encoding.UTF8.GetBytes(ReplaceFirstString(text, hostile)),
            2 => Encoding.UTF8.GetBytes(text.Replace("\"", "", StringComparison.Ordinal)),
            3 => Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)),
            4 => Encoding.UTF8.GetBytes(text.Replace("0", "1e400", StringComparison.Ordinal).Replace("\"allow\"", "42", StringComparison.Ordinal)),
            5 => [.. payload[..random.Next(0, payload.Length + 1)]],
            _ => [.. payload, 0xC2, 0x9B, (byte)'2', (byte)'J', 0xFF],
        };
        return RecordingFile.EncodeRecord(type, offset, mutated);
    }

    private static string ReplaceFirstString(string json, string replacement)
    {
        var start = json.IndexOf(":\"", StringComparison.Ordinal);
        if (start < 0)
        {
            return replacement;
        }

        var end = json.IndexOf('"', start + 2);
        return end < 0 ? json : json[..(start + 1)] + System.Text.Json.JsonSerializer.Serialize(replacement) + json[(end + 1)..];
    }

    private void Header(RecordingFile file)
    {
        if (PickFrame(file, f => f.Kind == FrameKind.Header) is not { } frame)
        {
            return;
        }

        var text = Encoding.UTF8.GetString(frame.Body);
        var mutated = random.Next(5) switch
        {
            0 or 1 => ReplaceFirstString(text, HostileTexts[random.Next(HostileTexts.Length)]),
            2 => text.Replace("\"format\":1", "\"format\":2", StringComparison.Ordinal),
            3 => text.Replace("\"roles\":[", "\"roles\":[" + string.Concat(Enumerable.Repeat("\"r\",", 5000)), StringComparison.Ordinal),
            _ => text[..random.Next(text.Length)],
        };
        Replace(file, frame, frame with { Body = Encoding.UTF8.GetBytes(mutated) });
    }

    private void CheckpointField(RecordingFile file)
    {
        if (PickFrame(file, f => f.Kind is FrameKind.Checkpoint or FrameKind.Seal && f.Body.Length >= 24) is not { } frame)
        {
            return;
        }

        var body = frame.Body.ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8 * random.Next(3)), InterestingLongs[random.Next(InterestingLongs.Length)]);
        Replace(file, frame, frame with { Body = body });
    }

    private static (byte Type, ulong Offset, byte[] Payload) Split(byte[] record)
    {
        var offsetLength = Varint.TryRead(record.AsSpan(1), out var offset);
        var lengthLength = Varint.TryRead(record.AsSpan(1 + offsetLength), out _);
        return (record[0], offset, record[(1 + offsetLength + lengthLength)..]);
    }
}
