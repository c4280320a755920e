using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Broker.Masking.Detection;

/// <summary>
/// Finds where 32 base64 characters follow one another: a line of 64 or more of them always contains such a
/// block at any 32-byte alignment, and ordinary output (spaces, punctuation, line breaks) almost never does,
/// so the key-body search looks closer only there. Read from the text's base64 bitmap (<see cref="ByteClasses"/>):
/// one 64-bit read per 64 bytes, whose halves are two starts, and eight such reads at once where 512-bit vectors are fast.
/// </summary>
internal static class Base64Blocks
{
    private const int Width = 32;

    private const int Wide = 8;

    /// <summary>The start of the first full block at <paramref name="from"/> + k·32 in the text <paramref name="classes"/> describe, or -1.</summary>
    public static int Next(ByteClasses classes, int from)
    {
        var map = classes.Base64;
        var p = from;
        // Bits past the text are clear, so a block of set bits lies wholly in the text: no start needs a test against its
        // end, and the reads may run past it as far as the map goes.
        if (Vector512.IsHardwareAccelerated)
        {
            ref var words = ref MemoryMarshal.GetReference(map);
            var shift = from & 63;
            // The next word's bits are shifted in only when the reads are not word-aligned (a shift by 64 is not a clear).
            var carry = shift == 0 ? Vector512<ulong>.Zero : Vector512<ulong>.AllBitsSet;
            for (; p + Width <= classes.Length && (p >> 6) + Wide < map.Length; p += Wide * 2 * Width)
            {
                var w = p >> 6;
                var bits = (Vector512.LoadUnsafe(ref words, (nuint)w) >> shift) | ((Vector512.LoadUnsafe(ref words, (nuint)(w + 1)) << (64 - shift)) & carry);
                // 32-bit lane j holds the block at p + 32·j.
                var full = Vector512.Equals(bits.AsUInt32(), Vector512<uint>.AllBitsSet).ExtractMostSignificantBits();
                if (full != 0)
                {
                    return p + (Width * BitOperations.TrailingZeroCount(full));
                }
            }
        }

        // Two starts per read: the bits from p hold the block at p in their low half and the one at p + 32 in their high half.
        for (; p + Width <= classes.Length; p += 2 * Width)
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
