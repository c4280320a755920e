using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Broker.Masking.Detection;

/// <summary>What to do with each anchor <see cref="TokenRuns.ForEachAnchor{TVisitor}(ByteClasses, int, int, int, ref TVisitor)"/> finds.</summary>
internal interface IAnchorVisitor
{
    void Anchor(int position);

    /// <summary>
    /// Of the anchors at the 64 positions from <paramref name="block"/> (bit k: <paramref name="block"/> + k), those worth
    /// visiting: at least every one where <see cref="Anchor"/> would do anything.
    /// </summary>
    ulong Worth(int block, ulong anchors);
}

/// <summary>
/// Finds the anchors of long runs of token characters (<c>[A-Za-z0-9_\-.~+/=]</c>): the places a token can start
/// in a run of at least <see cref="MinRun"/> of them, namely the run's start and every place right after a
/// separator inside it (<c>MY_ghp_…</c>). Every token, key body and signed blob the anchored detectors look for lies in
/// such a run, and ordinary output is mostly short words: the search reads the text's token and letter-or-digit bitmaps
/// (<see cref="ByteClasses"/>, each byte classified once) and works on 64-bit masks (which positions start 20 token characters, which are covered by such a window,
/// which follow a separator), so the search costs a fraction of a cycle per byte.
/// </summary>
internal static class TokenRuns
{
    /// <summary>The shortest token an anchored detector reports (a Slack token: prefix and body).</summary>
    public const int MinRun = 20;

    private const int Block = 64;

    // Words worked out together by the vector step: four 64-bit masks in one 256-bit vector, or eight in a 512-bit one.
    private const int Group = 4;

    private const int WideGroup = 8;

    /// <summary>Whether <paramref name="b"/> can be part of a token.</summary>
    public static bool IsTokenChar(byte b) => ByteClass.IsAlnum(b) || b is (byte)'_' or (byte)'-' or (byte)'.' or (byte)'~' or (byte)'+' or (byte)'/' or (byte)'=';

    /// <summary>Calls <paramref name="visit"/> for every anchor of a long run in [<paramref name="from"/>, <paramref name="before"/>), in order.</summary>
    public static void ForEachAnchor<TVisitor>(ReadOnlySpan<byte> bytes, int from, int before, ref TVisitor visit)
        where TVisitor : struct, IAnchorVisitor, allows ref struct =>
        ForEachAnchor(ByteClasses.Of(bytes), from, before, before, ref visit);

    /// <summary>
    /// Calls <paramref name="visit"/> for every anchor in [<paramref name="from"/>, <paramref name="before"/>) of the text
    /// <paramref name="classes"/> describe, in order: the anchors of long runs, and every anchor at or after
    /// <paramref name="open"/>, the start of the run the text ends with, which may still grow however short it is yet
    /// (<paramref name="before"/> when there is none). <paramref name="before"/> is at most the text's length.
    /// </summary>
    public static void ForEachAnchor<TVisitor>(ByteClasses classes, int from, int before, int open, ref TVisitor visit)
        where TVisitor : struct, IAnchorVisitor, allows ref struct
    {
        if (from >= before)
        {
            return;
        }

        var tokenMap = classes.Token;
        var alnumMap = classes.Alnum;
        // A window of MinRun characters that covers `from` starts at most MinRun - 1 before it: the first word holding
        // that start is the first read (the classes are already there; nothing before it is read again).
        var w = Math.Max(0, from - (MinRun - 1)) / Block;
        var p = w * Block;
        var tokens = tokenMap[w];
        var alnum = alnumMap[w];
        var previousTokens = w > 0 ? tokenMap[w - 1] >> 63 : 0;
        var previousSeparator = w > 0 ? (tokenMap[w - 1] & ~alnumMap[w - 1]) >> 63 : 0;
        // Windows of MinRun token characters that started in the previous block (none that reach `from`).
        var previousStarts = 0UL;
        var full = FullBytes(tokens);
        // Set after the four-word step, which carries nothing over: the one-word step reads its state from the maps again.
        var stale = false;
        while (p < before)
        {
            // Four words at a time wherever the maps hold them and the word after them: nearly every word of ordinary output
            // holds eight aligned token characters, so the one-word step below rarely skips its arithmetic, and doing it for
            // four words with vector instructions costs about what one did. The words past the text are clear (no anchor),
            // so the step runs to the end of the text too, open run and all: a 1 KiB push's last five words, which the
            // one-word step used to take one by one, were a fifth of its fixed cost.
            // Eight words where 512-bit vectors are fast: a 1 KiB push with its look-behind spans 17 words or so, which is
            // three wide steps but five narrow ones (the steps past the text cost a whole step each, the push's end a lane).
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && w > 0 && w + WideGroup < tokenMap.Length)
            {
                if (!VisitWideGroup(tokenMap, alnumMap, w, from, before, open, ref visit))
                {
                    return;
                }

                w += WideGroup;
                p += WideGroup * Block;
                stale = true;
                continue;
            }

            if (Vector256.IsHardwareAccelerated && w > 0 && w + Group < tokenMap.Length)
            {
                if (!VisitGroup(tokenMap, alnumMap, w, from, before, open, ref visit))
                {
                    return;
                }

                w += Group;
                p += Group * Block;
                stale = true;
                continue;
            }

            if (stale)
            {
                tokens = tokenMap[w];
                full = FullBytes(tokens);
                alnum = alnumMap[w];
                previousTokens = tokenMap[w - 1] >> 63;
                previousSeparator = (tokenMap[w - 1] & ~alnumMap[w - 1]) >> 63;
                previousStarts = WindowStarts(tokenMap[w - 1], tokens);
                stale = false;
            }

            // The maps hold a clear word past the text's last, so the next word may always be read.
            var nextTokens = tokenMap[w + 1];
            var nextFull = FullBytes(nextTokens);
            // A window of MinRun token characters that starts in this block holds eight aligned ones (a whole byte of the
            // mask) in this word or the next: without one the starts are not worked out.
            var starts = (full | nextFull) != 0 ? WindowStarts(tokens, nextTokens) : 0;
            var separators = tokens & ~alnum;
            // The open run's positions in this block: its anchors count whatever its length.
            var opened = Opened(open, p);
            // Most blocks of ordinary output hold no window of MinRun token characters: their anchors are not worked out.
            if ((starts | previousStarts | opened) != 0)
            {
                var anchors = (tokens & ~((tokens << 1) | previousTokens)) | (tokens & ((separators << 1) | previousSeparator));
                anchors = visit.Worth(p, anchors & (Covered(starts, previousStarts) | opened));
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
            full = nextFull;
            alnum = alnumMap[w + 1];
            w++;
            p += Block;
        }
    }

    /// <summary>
    /// The one-word step of <see cref="ForEachAnchor{TVisitor}(ByteClasses, int, int, int, ref TVisitor)"/> for the
    /// <see cref="Group"/> words from <paramref name="w"/> (at least 1) at once, the word after them inside the maps: the
    /// same masks, lane by lane, each word's previous word read from the map rather than carried, and the positions at or
    /// after <paramref name="open"/> added as there. The anchors are visited in order; false when one at or after
    /// <paramref name="before"/> ends the search.
    /// </summary>
    private static bool VisitGroup<TVisitor>(ReadOnlySpan<ulong> tokenMap, ReadOnlySpan<ulong> alnumMap, int w, int from, int before, int open, ref TVisitor visit)
        where TVisitor : struct, IAnchorVisitor, allows ref struct
    {
        ref var tokenWords = ref MemoryMarshal.GetReference(tokenMap);
        ref var alnumWords = ref MemoryMarshal.GetReference(alnumMap);
        var tokens = Vector256.LoadUnsafe(ref tokenWords, (nuint)w);
        var previous = Vector256.LoadUnsafe(ref tokenWords, (nuint)(w - 1));
        var separators = Vector256.AndNot(tokens, Vector256.LoadUnsafe(ref alnumWords, (nuint)w));
        var previousSeparators = Vector256.AndNot(previous, Vector256.LoadUnsafe(ref alnumWords, (nuint)(w - 1)));
        var anchors = (tokens & ~((tokens << 1) | (previous >> 63))) | (tokens & ((separators << 1) | (previousSeparators >> 63)));
        // The windows that start in each word, and in the word before it (which the one-word step carries over).
        var starts = WindowStarts(tokens, Vector256.LoadUnsafe(ref tokenWords, (nuint)(w + 1)));
        var covered = Covered(starts, WindowStarts(previous, tokens));
        var p = w * Block;
        if (open < p + (Group * Block))
        {
            covered |= Vector256.Create(Opened(open, p), Opened(open, p + Block), Opened(open, p + (2 * Block)), Opened(open, p + (3 * Block)));
        }

        anchors &= covered;
        var lanes = ~Vector256.Equals(anchors, Vector256<ulong>.Zero).ExtractMostSignificantBits() & ((1u << Group) - 1);
        while (lanes != 0)
        {
            var lane = BitOperations.TrailingZeroCount(lanes);
            lanes &= lanes - 1;
            var block = (w + lane) * Block;
            // Constant lane numbers: each is one extract from the register, not a store and a load through memory.
            var worth = visit.Worth(block, lane switch
            {
                0 => anchors.GetElement(0),
                1 => anchors.GetElement(1),
                2 => anchors.GetElement(2),
                _ => anchors.GetElement(3),
            });
            while (worth != 0)
            {
                var anchor = block + BitOperations.TrailingZeroCount(worth);
                if (anchor >= before)
                {
                    return false;
                }

                if (anchor >= from)
                {
                    visit.Anchor(anchor);
                }

                worth &= worth - 1;
            }
        }

        return true;
    }

    /// <summary><see cref="VisitGroup{TVisitor}"/> for the <see cref="WideGroup"/> words from <paramref name="w"/> at once.</summary>
    private static bool VisitWideGroup<TVisitor>(ReadOnlySpan<ulong> tokenMap, ReadOnlySpan<ulong> alnumMap, int w, int from, int before, int open, ref TVisitor visit)
        where TVisitor : struct, IAnchorVisitor, allows ref struct
    {
        ref var tokenWords = ref MemoryMarshal.GetReference(tokenMap);
        ref var alnumWords = ref MemoryMarshal.GetReference(alnumMap);
        var tokens = Vector512.LoadUnsafe(ref tokenWords, (nuint)w);
        var previous = Vector512.LoadUnsafe(ref tokenWords, (nuint)(w - 1));
        var separators = Vector512.AndNot(tokens, Vector512.LoadUnsafe(ref alnumWords, (nuint)w));
        var previousSeparators = Vector512.AndNot(previous, Vector512.LoadUnsafe(ref alnumWords, (nuint)(w - 1)));
        var anchors = (tokens & ~((tokens << 1) | (previous >> 63))) | (tokens & ((separators << 1) | (previousSeparators >> 63)));
        var starts = WindowStarts(tokens, Vector512.LoadUnsafe(ref tokenWords, (nuint)(w + 1)));
        var covered = Covered(starts, WindowStarts(previous, tokens));
        var p = w * Block;
        if (open < p + (WideGroup * Block))
        {
            // Opened lane by lane: all ones shifted up by how far the open run starts into the word (a variable shift by 64
            // or more clears the lane). Every push's last step takes this, and eight scalar masks put into a vector cost more.
            var words = Vector512.Create((long)p) + Vector512.Create(0L, Block, 2 * Block, 3 * Block, 4 * Block, 5 * Block, 6 * Block, 7 * Block);
            covered |= Avx512F.ShiftLeftLogicalVariable(Vector512<ulong>.AllBitsSet, Vector512.Max(Vector512.Create((long)open) - words, Vector512<long>.Zero).AsUInt64());
        }

        anchors &= covered;
        var lanes = (uint)~Vector512.Equals(anchors, Vector512<ulong>.Zero).ExtractMostSignificantBits() & ((1u << WideGroup) - 1);
        while (lanes != 0)
        {
            var lane = BitOperations.TrailingZeroCount(lanes);
            lanes &= lanes - 1;
            var block = (w + lane) * Block;
            var worth = visit.Worth(block, lane switch
            {
                0 => anchors.GetElement(0),
                1 => anchors.GetElement(1),
                2 => anchors.GetElement(2),
                3 => anchors.GetElement(3),
                4 => anchors.GetElement(4),
                5 => anchors.GetElement(5),
                6 => anchors.GetElement(6),
                _ => anchors.GetElement(7),
            });
            while (worth != 0)
            {
                var anchor = block + BitOperations.TrailingZeroCount(worth);
                if (anchor >= before)
                {
                    return false;
                }

                if (anchor >= from)
                {
                    visit.Anchor(anchor);
                }

                worth &= worth - 1;
            }
        }

        return true;
    }

    /// <summary><see cref="WindowStarts(ulong, ulong)"/> for eight words at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> WindowStarts(Vector512<ulong> low, Vector512<ulong> high)
    {
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

    /// <summary><see cref="Covered(ulong, ulong)"/> for eight words at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Covered(Vector512<ulong> starts, Vector512<ulong> previousStarts)
    {
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

    /// <summary><see cref="WindowStarts(ulong, ulong)"/> for four words at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> WindowStarts(Vector256<ulong> low, Vector256<ulong> high)
    {
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

    /// <summary><see cref="Covered(ulong, ulong)"/> for four words at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Covered(Vector256<ulong> starts, Vector256<ulong> previousStarts)
    {
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

    /// <summary>The positions of the block from <paramref name="p"/> at or after <paramref name="open"/>, where the open run's anchors count whatever its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Opened(int open, int p) => open <= p ? ulong.MaxValue : open - p < Block ? ulong.MaxValue << (open - p) : 0;

    /// <summary>Non-zero when some byte of <paramref name="mask"/> is all ones (eight token characters in a row, aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong FullBytes(ulong mask) => (~mask - 0x0101_0101_0101_0101UL) & mask & 0x8080_8080_8080_8080UL;

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
}
