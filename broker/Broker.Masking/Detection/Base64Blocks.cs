namespace Broker.Masking.Detection;

/// <summary>
/// Finds where 32 base64 characters follow one another: a line of 64 or more of them always contains such a
/// block at any 32-byte alignment, and ordinary output (spaces, punctuation, line breaks) almost never does,
/// so the key-body search looks closer only there. Read from the text's base64 bitmap (<see cref="ByteClasses"/>):
/// one shift per 32 bytes.
/// </summary>
internal static class Base64Blocks
{
    private const int Width = 32;

    /// <summary>The start of the first full block at <paramref name="from"/> + k·32 in the text <paramref name="classes"/> describe, or -1.</summary>
    public static int Next(ByteClasses classes, int from)
    {
        var map = classes.Base64;
        for (var p = from; p + Width <= classes.Length; p += Width)
        {
            if ((uint)ByteClasses.BitsAt(map, p) == uint.MaxValue)
            {
                return p;
            }
        }

        return -1;
    }
}
