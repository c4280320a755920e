namespace Recorder.Format;

/// <summary>Unsigned LEB128: 7 bits per byte, least significant group first, high bit set on all but the last byte.</summary>
internal static class Varint
{
    public static int Write(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Reads a varint; returns the bytes consumed, or 0 when the input ends first or the value overflows 64 bits.</summary>
    public static int TryRead(ReadOnlySpan<byte> source, out ulong value)
    {
        value = 0;
        for (var i = 0; i < source.Length && i < 10; i++)
        {
            var b = source[i];
            if (i == 9 && b > 1)
            {
                return 0;
            }

            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                return i + 1;
            }
        }

        value = 0;
        return 0;
    }
}
