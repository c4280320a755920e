using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Broker.Masking.Detection;

/// <summary>
/// Finds where 32 base64 characters follow one another: a line of 64 or more of them always contains such a
/// block at any 32-byte alignment, and ordinary output (spaces, punctuation, line breaks) almost never does,
/// so the key-body search looks closer only there. One vector classification per 32 bytes.
/// </summary>
internal static class Base64Blocks
{
    private const int Width = 32;

    /// <summary>The start of the first full block at <paramref name="from"/> + k·32, or -1.</summary>
    public static int Next(ReadOnlySpan<byte> bytes, int from)
    {
        var p = from;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var origin = ref MemoryMarshal.GetReference(bytes);
            for (; p + Width <= bytes.Length; p += Width)
            {
                var v = Vector256.LoadUnsafe(ref origin, (nuint)p);
                var letters = Vector256.LessThan((v | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)26));
                var digits = Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10));
                var symbols = Vector256.Equals(v, Vector256.Create((byte)'+')) | Vector256.Equals(v, Vector256.Create((byte)'/'));
                if ((letters | digits | symbols) == Vector256<byte>.AllBitsSet)
                {
                    return p;
                }
            }

            return -1;
        }

        for (; p + Width <= bytes.Length; p += Width)
        {
            if (bytes.Slice(p, Width).IndexOfAnyExcept(s_base64) < 0)
            {
                return p;
            }
        }

        return -1;
    }

    private static readonly System.Buffers.SearchValues<byte> s_base64 =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);
}
