namespace Broker.Masking.Detection;

/// <summary>
/// Finds where 32 base64 characters follow one another: a line of 64 or more of them always contains such a
/// block at any 32-byte alignment, and ordinary output (spaces, punctuation, line breaks) almost never does,
/// so the key-body search looks closer only there. Read from the text's base64 bitmap (<see cref="ByteClasses"/>):
/// one 64-bit read per 64 bytes, whose halves are two starts.
/// </summary>
internal static class Base64Blocks
{
    private const int Width = 32;

    /// <summary>The start of the first full block at <paramref name="from"/> + k·32 in the text <paramref name="classes"/> describe, or -1.</summary>
    public static int Next(ByteClasses classes, int from)
    {
        var map = classes.Base64;
        // Two starts per read: the bits from p hold the block at p in their low half and the one at p + 32 in their high
        // half. Bits past the text are clear, so a full half lies wholly in the text and needs no test against its end.
        for (var p = from; p + Width <= classes.Length; p += 2 * Width)
        {
            var bits = ByteClasses.BitsAt(map, p);
            if ((uint)bits == uint.MaxValue)
            {
                return p;
            }

            if ((uint)(bits >> Width) == uint.MaxValue)
            {
                return p + Width;
            }
        }

        return -1;
    }
}
