using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Broker.Masking.Detection;

/// <summary>What to do with each anchor <see cref="TokenRuns.ForEachAnchor"/> finds.</summary>
internal interface IAnchorVisitor
{
    void Anchor(int position);
}

/// <summary>
/// Finds the anchors of long runs of token characters (<c>[A-Za-z0-9_\-.~+/=]</c>): the places a token can start
/// in a run of at least <see cref="MinRun"/> of them, namely the run's start and every place right after a
/// separator inside it (<c>MY_ghp_…</c>). Every token, key body and signed blob the anchored detectors look for lies in
/// such a run, and ordinary output is mostly short words: each 64 bytes are classified with one vector step and the
/// rest is done on 64-bit masks (which positions start 20 token characters, which are covered by such a window,
/// which follow a separator), so the search costs a fraction of a cycle per byte.
/// </summary>
internal static class TokenRuns
{
    /// <summary>The shortest token an anchored detector reports (a Slack token: prefix and body).</summary>
    public const int MinRun = 20;

    private const int Block = 64;

    /// <summary>Whether <paramref name="b"/> can be part of a token.</summary>
    public static bool IsTokenChar(byte b) => ByteClass.IsAlnum(b) || b is (byte)'_' or (byte)'-' or (byte)'.' or (byte)'~' or (byte)'+' or (byte)'/' or (byte)'=';

    /// <summary>The start of the run of token characters that ends the text (the text's length when it ends otherwise).</summary>
    public static int TailStart(ReadOnlySpan<byte> bytes)
    {
        var start = bytes.Length;
        while (start > 0 && IsTokenChar(bytes[start - 1]))
        {
            start--;
        }

        return start;
    }

    /// <summary>Calls <paramref name="visit"/> for every anchor of a long run in [<paramref name="from"/>, <paramref name="before"/>), in order.</summary>
    public static void ForEachAnchor<TVisitor>(ReadOnlySpan<byte> bytes, int from, int before, ref TVisitor visit)
        where TVisitor : struct, IAnchorVisitor, allows ref struct
    {
        if (from >= before)
        {
            return;
        }

        if (!Vector512.IsHardwareAccelerated && !Vector256.IsHardwareAccelerated)
        {
            ForEachAnchorScalar(bytes, from, before, ref visit);
            return;
        }

        // A window of MinRun characters that covers `from` starts at most MinRun - 1 before it: the first block starts
        // there (a whole block earlier, as before, read the look-behind again for nothing).
        var p = Math.Max(0, from - (MinRun - 1));
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var alnum = 0UL;
        var tokens = Masks(bytes, ref origin, p, ref alnum);
        var previousTokens = p > 0 && IsTokenChar(bytes[p - 1]) ? 1UL : 0;
        var previousSeparator = p > 0 && IsTokenChar(bytes[p - 1]) && !ByteClass.IsAlnum(bytes[p - 1]) ? 1UL : 0;
        // Windows of MinRun token characters that started in the previous block.
        var previousStarts = 0UL;
        while (p < before)
        {
            var nextAlnum = 0UL;
            var nextTokens = Masks(bytes, ref origin, p + Block, ref nextAlnum);
            var starts = WindowStarts(tokens, nextTokens);
            var separators = tokens & ~alnum;
            var anchors = (tokens & ~((tokens << 1) | previousTokens)) | (tokens & ((separators << 1) | previousSeparator));
            if (anchors != 0 && (starts | previousStarts) != 0)
            {
                anchors &= Covered(starts, previousStarts);
                while (anchors != 0)
                {
                    var anchor = p + BitOperations.TrailingZeroCount(anchors);
                    if (anchor >= before)
                    {
                        return;
                    }

                    if (anchor >= from)
                    {
                        visit.Anchor(anchor);
                    }

                    anchors &= anchors - 1;
                }
            }

            previousTokens = tokens >> 63;
            previousSeparator = separators >> 63;
            previousStarts = starts;
            tokens = nextTokens;
            alnum = nextAlnum;
            p += Block;
        }
    }

    private static void ForEachAnchorScalar<TVisitor>(ReadOnlySpan<byte> bytes, int from, int before, ref TVisitor visit)
        where TVisitor : struct, IAnchorVisitor, allows ref struct
    {
        var p = from;
        while (p > 0 && IsTokenChar(bytes[p - 1]))
        {
            p--;
        }

        while (p < before)
        {
            if (!IsTokenChar(bytes[p]))
            {
                p++;
                continue;
            }

            var end = p;
            while (end < bytes.Length && IsTokenChar(bytes[end]))
            {
                end++;
            }

            if (end - p >= MinRun)
            {
                for (var q = p; q < end && q < before; q++)
                {
                    if (q >= from && (q == p || !ByteClass.IsAlnum(bytes[q - 1])))
                    {
                        visit.Anchor(q);
                    }
                }
            }

            p = end;
        }
    }

    /// <summary>Bit k (0..63) set where <see cref="MinRun"/> token characters start at k, given this block's and the next block's masks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong WindowStarts(ulong low, ulong high)
    {
        // Doubling: runs of 2, 4, 8 and 16 ones, then two runs of 16 four apart make 20; exact across the word boundary.
        var l = low & ((low >> 1) | (high << 63));
        var h = high & (high >> 1);
        l &= (l >> 2) | (h << 62);
        h &= h >> 2;
        l &= (l >> 4) | (h << 60);
        h &= h >> 4;
        l &= (l >> 8) | (h << 56);
        h &= h >> 8;
        return l & ((l >> 4) | (h << 60));
    }

    /// <summary>Bit k set where a window of <see cref="MinRun"/> that starts in this block or the previous one covers k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Covered(ulong starts, ulong previousStarts)
    {
        // Union of the starts shifted by 0..19 towards higher positions, carrying over from the previous block.
        var h = starts | (starts << 1) | (previousStarts >> 63);
        var l = previousStarts | (previousStarts << 1);
        h |= (h << 2) | (l >> 62);
        l |= l << 2;
        h |= (h << 4) | (l >> 60);
        l |= l << 4;
        h |= (h << 8) | (l >> 56);
        l |= l << 8;
        return h | (h << 4) | (l >> 60);
    }

    /// <summary>The token-character mask of the 64 bytes at <paramref name="offset"/>, and their letter-or-digit mask (bytes past the end count as neither).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Masks(ReadOnlySpan<byte> bytes, ref byte origin, int offset, ref ulong alnum)
    {
        if (offset + Block <= bytes.Length)
        {
            return Classify(ref origin, offset, ref alnum);
        }

        return offset >= bytes.Length ? 0 : PaddedMasks(bytes[offset..], ref alnum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static ulong PaddedMasks(ReadOnlySpan<byte> rest, ref ulong alnum)
    {
        Span<byte> padded = stackalloc byte[Block];
        rest.CopyTo(padded);
        padded[rest.Length..].Clear();
        return Classify(ref MemoryMarshal.GetReference(padded), 0, ref alnum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Classify(ref byte origin, int offset, ref ulong alnum)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.LoadUnsafe(ref origin, (nuint)offset);
            var letters = Vector512.LessThan((v | Vector512.Create((byte)0x20)) - Vector512.Create((byte)'a'), Vector512.Create((byte)26));
            var digits = Vector512.LessThan(v - Vector512.Create((byte)'0'), Vector512.Create((byte)10));
            // '+' and '-' '.' '/' (0x2B, 0x2D..0x2F), '=', '_', '~'.
            var symbols = Vector512.LessThan(v - Vector512.Create((byte)0x2D), Vector512.Create((byte)3)) | Vector512.Equals(v, Vector512.Create((byte)'+')) |
                Vector512.Equals(v, Vector512.Create((byte)'=')) | Vector512.Equals(v, Vector512.Create((byte)'_')) | Vector512.Equals(v, Vector512.Create((byte)'~'));
            var letterOrDigit = letters | digits;
            alnum = letterOrDigit.ExtractMostSignificantBits();
            return (letterOrDigit | symbols).ExtractMostSignificantBits();
        }

        alnum = 0;
        var tokens = 0UL;
        for (var half = 0; half < 2; half++)
        {
            var v = Vector256.LoadUnsafe(ref origin, (nuint)(offset + (32 * half)));
            var letters = Vector256.LessThan((v | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)26));
            var digits = Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10));
            var symbols = Vector256.LessThan(v - Vector256.Create((byte)0x2D), Vector256.Create((byte)3)) | Vector256.Equals(v, Vector256.Create((byte)'+')) |
                Vector256.Equals(v, Vector256.Create((byte)'=')) | Vector256.Equals(v, Vector256.Create((byte)'_')) | Vector256.Equals(v, Vector256.Create((byte)'~'));
            var letterOrDigit = letters | digits;
            alnum |= (ulong)letterOrDigit.ExtractMostSignificantBits() << (32 * half);
            tokens |= (ulong)(letterOrDigit | symbols).ExtractMostSignificantBits() << (32 * half);
        }

        return tokens;
    }
}
