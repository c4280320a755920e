namespace Recorder.Format;

/// <summary>One record located inside an uncompressed segment.</summary>
internal readonly record struct ScannedRecord(byte Type, long OffsetNanoseconds, int Start, int Length, int PayloadStart, int PayloadLength);

/// <summary>Walks the records of an uncompressed segment without copying them.</summary>
internal static class RecordScanner
{
    /// <summary>Reads the record starting at <paramref name="position"/>; false (with an error) when it is malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> segment, int position, out ScannedRecord record, out string? error)
    {
        record = default;
        error = null;
        var rest = segment[position..];
        if (rest.Length < 3)
        {
            error = "record header is cut short";
            return false;
        }

        var offsetLength = Varint.TryRead(rest[1..], out var offset);
        if (offsetLength == 0 || offset > long.MaxValue)
        {
            error = "record offset is not a valid varint";
            return false;
        }

        var lengthLength = Varint.TryRead(rest[(1 + offsetLength)..], out var payloadLength);
        var headerLength = 1 + offsetLength + lengthLength;
        if (lengthLength == 0 || payloadLength > (ulong)(rest.Length - headerLength))
        {
            error = "record length runs past the end of its segment";
            return false;
        }

        record = new ScannedRecord(rest[0], (long)offset, position, headerLength + (int)payloadLength, position + headerLength, (int)payloadLength);
        return true;
    }
}
