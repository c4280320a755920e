using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Broker.Masking.Detection;

/// <summary>The vector steps of the candidate pass: AVX-512 with byte tables (VBMI) or nibble tables, and AVX2.</summary>
internal sealed partial class CandidatePass
{
    /// <summary>
    /// The vector step with AVX-512 VBMI: each of a position's four bytes is looked up whole (by its low seven bits) with
    /// one byte permute over two table vectors, instead of by its two nibbles with two shuffles and the arithmetic that
    /// splits them. Fewer instructions per 64 positions, and a byte table admits fewer wrong positions than the nibbles' union.
    /// </summary>
    /// <remarks>
    /// The lookups of up to <see cref="Block"/> steps run first and their survivors are confirmed after them: with no call
    /// among the lookups (a list that grows calls out), the tables stay in registers, where before they were written
    /// to the stack and read back at every step. Returns where the caller goes on (the last three positions, which a literal
    /// cut by the end may start at, are judged one at a time there).
    /// </remarks>
    [SkipLocalsInit]
    private int Find512Bytes(ReadOnlySpan<byte> bytes, int p, List<int> positions)
    {
        Span<ulong> hits = stackalloc ulong[Block];
        Span<int> starts = stackalloc int[Block];
        var end = bytes.Length - (ByteWidth - 1);
        while (p < end)
        {
            var steps = bytes.Length >= 64 + ByteWidth - 1 ? Lookups512(bytes, p, hits, starts, out var found) : LookupsPadded512(bytes, p, hits, starts, out found);
            for (var k = 0; k < found; k++)
            {
                Confirm(bytes, starts[k], hits[k], positions);
            }

            p = Math.Min(end, p + (64 * steps));
        }

        return p;
    }

    /// <summary>
    /// The steps from <paramref name="p"/> that have survivors, <paramref name="found"/> of them (bit k of
    /// <paramref name="hits"/>[i]: position <paramref name="starts"/>[i] + k), of up to <paramref name="hits"/>' length of
    /// steps; the number of steps. The last positions (fewer than 64) whose four bytes
    /// are all in the text are judged by a step over the text's last 67 bytes, the positions before them shifted out: they
    /// were judged by the AVX2 step and its padded tail before, and then by a step over a padded copy, each a fixed cost
    /// of every push. The text is at least 67 bytes long.
    /// </summary>
    private int Lookups512(ReadOnlySpan<byte> bytes, int p, Span<ulong> hits, Span<int> starts, out int found)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var t = new ByteTables(in _bytes);
        var step = 0;
        found = 0;
        for (; step < hits.Length && p + 64 + ByteWidth - 1 <= bytes.Length; step++, p += 64)
        {
            var m = t.Lookups(ref origin, p);
            // Kept only if it has a survivor, with no branch: a third or so of the steps do, which no predictor guesses.
            (hits[found], starts[found]) = (~Vector512.Equals(m, Vector512<byte>.Zero).ExtractMostSignificantBits(), p);
            found += hits[found] != 0 ? 1 : 0;
        }

        if (step < hits.Length && p < bytes.Length - (ByteWidth - 1))
        {
            var last = bytes.Length - (64 + ByteWidth - 1);
            var m = t.Lookups(ref origin, last);
            (hits[found], starts[found]) = (~Vector512.Equals(m, Vector512<byte>.Zero).ExtractMostSignificantBits() >> (p - last), p);
            found += hits[found] != 0 ? 1 : 0;
            step++;
        }

        return step;
    }

    /// <summary><see cref="Lookups512"/> for a text shorter than 67 bytes: one step over a zero-padded copy of it.</summary>
    [SkipLocalsInit]
    private int LookupsPadded512(ReadOnlySpan<byte> bytes, int p, Span<ulong> hits, Span<int> starts, out int found)
    {
        Span<byte> padded = stackalloc byte[2 * 64];
        var rest = bytes[p..];
        rest.CopyTo(padded);
        padded[rest.Length..].Clear();
        var m = _bytes.Lookups(ref MemoryMarshal.GetReference(padded), 0);
        // The padding is read only by the last three positions' lookups, which are masked off here.
        hits[0] = ~Vector512.Equals(m, Vector512<byte>.Zero).ExtractMostSignificantBits() & ((1UL << (rest.Length - (ByteWidth - 1))) - 1);
        starts[0] = p;
        found = 1;
        return 1;
    }

    /// <summary>The vector step with AVX-512 and no VBMI, by nibbles; its lookups, too, run a block at a time before their survivors are confirmed.</summary>
    [SkipLocalsInit]
    private int Find512(ReadOnlySpan<byte> bytes, int p, List<int> positions)
    {
        Span<ulong> hits = stackalloc ulong[Block];
        while (p + 64 + VectorWidth - 1 <= bytes.Length)
        {
            var steps = Nibbles512(bytes, p, hits);
            for (var step = 0; step < steps; step++)
            {
                Confirm(bytes, p + (64 * step), hits[step], positions);
            }

            p += 64 * steps;
        }

        return p;
    }

    /// <summary>The survivors of the whole steps from <paramref name="p"/>, up to <paramref name="hits"/>' length of them; the number of steps.</summary>
    private int Nibbles512(ReadOnlySpan<byte> bytes, int p, Span<ulong> hits)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var nibble = Vector512.Create((byte)0x0F);
        var (n0, n1, n2) = (_low[0, 0], _low[0, 1], _low[0, 2]);
        var (nh0, nh1, nh2) = (_high[0, 0], _high[0, 1], _high[0, 2]);
        var (s0, s1, s2) = (_low[1, 0], _low[1, 1], _low[1, 2]);
        var (sh0, sh1, sh2) = (_high[1, 0], _high[1, 1], _high[1, 2]);
        var (needles, secrets) = (_hasNeedles, _hasSecrets);
        var step = 0;
        // Three overlapping loads per step: the last one reads 64 bytes from p + 2.
        for (; step < hits.Length && p + 64 + VectorWidth - 1 <= bytes.Length; step++, p += 64)
        {
            var v0 = Vector512.LoadUnsafe(ref origin, (nuint)p);
            var v1 = Vector512.LoadUnsafe(ref origin, (nuint)(p + 1));
            var v2 = Vector512.LoadUnsafe(ref origin, (nuint)(p + 2));
            var (lo0, hi0) = (v0 & nibble, Vector512.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble);
            var (lo1, hi1) = (v1 & nibble, Vector512.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble);
            var (lo2, hi2) = (v2 & nibble, Vector512.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & nibble);
            var m = Vector512<byte>.Zero;
            if (needles)
            {
                m = Lookup(lo0, hi0, n0, nh0) & Lookup(lo1, hi1, n1, nh1) & Lookup(lo2, hi2, n2, nh2);
            }

            if (secrets)
            {
                m |= Lookup(lo0, hi0, s0, sh0) & Lookup(lo1, hi1, s1, sh1) & Lookup(lo2, hi2, s2, sh2);
            }

            hits[step] = ~Vector512.Equals(m, Vector512<byte>.Zero).ExtractMostSignificantBits();
        }

        return step;
    }

    /// <summary>The AVX2 step; its lookups, too, run a block at a time before their survivors are confirmed.</summary>
    [SkipLocalsInit]
    private int Find256(ReadOnlySpan<byte> bytes, int p, List<int> positions)
    {
        Span<uint> hits = stackalloc uint[Block];
        while (p + 32 + VectorWidth - 1 <= bytes.Length)
        {
            var steps = Nibbles256(bytes, p, hits);
            for (var step = 0; step < steps; step++)
            {
                Confirm(bytes, p + (32 * step), hits[step], positions);
            }

            p += 32 * steps;
        }

        return p;
    }

    /// <summary>The survivors of the whole 32-position steps from <paramref name="p"/>, up to <paramref name="hits"/>' length of them; the number of steps.</summary>
    private int Nibbles256(ReadOnlySpan<byte> bytes, int p, Span<uint> hits)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var tables = new Tables256(this);
        var step = 0;
        for (; step < hits.Length && p + 32 + VectorWidth - 1 <= bytes.Length; step++, p += 32)
        {
            hits[step] = tables.Hits(ref origin, p);
        }

        return step;
    }

    /// <summary>
    /// <see cref="Find256"/> for the last positions [<paramref name="p"/>, length − 2), fewer than 32: their bytes are
    /// copied to a zero-padded block so the three loads stay inside it. The padding is read only for the last two
    /// positions, which are masked off here and judged one at a time by the caller (a literal cut by the end may start
    /// there). Returns where the caller goes on.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private int FindInTail(ReadOnlySpan<byte> bytes, int p, List<int> positions)
    {
        Span<byte> padded = stackalloc byte[64];
        var rest = bytes[p..];
        rest.CopyTo(padded);
        padded[rest.Length..].Clear();
        var whole = rest.Length - (VectorWidth - 1);
        var hits = new Tables256(this).Hits(ref MemoryMarshal.GetReference(padded), 0) & (uint.MaxValue >> (32 - whole));
        Confirm(bytes, p, hits, positions);
        return p + whole;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lookup(Vector512<byte> low, Vector512<byte> high, Vector512<byte> lowTable, Vector512<byte> highTable) =>
        Avx512BW.Shuffle(lowTable, low) & Avx512BW.Shuffle(highTable, high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Lookup(Vector256<byte> low, Vector256<byte> high, Vector256<byte> lowTable, Vector256<byte> highTable) =>
        Avx2.Shuffle(lowTable, low) & Avx2.Shuffle(highTable, high);

    /// <summary>
    /// The byte tables of the VBMI step (per group and offset, 128 entries: 0-63, then 64-127), a field each: a search
    /// loads them at fixed offsets, with none of a two-dimensional array's index checks (a fixed cost of every push).
    /// </summary>
    private readonly struct ByteTables
    {
        private readonly Vector512<byte> _n0, _n1, _n2, _n3, _nh0, _nh1, _nh2, _nh3, _s0, _s1, _s2, _s3, _sh0, _sh1, _sh2, _sh3;
        private readonly bool _needles, _secrets;

        /// <param name="tables">Per group (needles, secrets) and offset, the 128 entries in order.</param>
        /// <param name="needles">Whether the needles' group has literals (its lookups are skipped otherwise).</param>
        /// <param name="secrets">Whether the secrets' group has literals.</param>
        public ByteTables(ReadOnlySpan<byte> tables, bool needles, bool secrets)
        {
            (_n0, _nh0, _n1, _nh1) = (Table(tables, 0), Table(tables, 1), Table(tables, 2), Table(tables, 3));
            (_n2, _nh2, _n3, _nh3) = (Table(tables, 4), Table(tables, 5), Table(tables, 6), Table(tables, 7));
            (_s0, _sh0, _s1, _sh1) = (Table(tables, 8), Table(tables, 9), Table(tables, 10), Table(tables, 11));
            (_s2, _sh2, _s3, _sh3) = (Table(tables, 12), Table(tables, 13), Table(tables, 14), Table(tables, 15));
            (_needles, _secrets) = (needles, secrets);
        }

        /// <summary>A copy, for a search to hold in registers.</summary>
        public ByteTables(in ByteTables tables) => this = tables;

        /// <summary>One step: a non-zero byte k where position <paramref name="p"/> + k may start a literal (reads 67 bytes).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<byte> Lookups(ref byte origin, int p)
        {
            var v0 = Vector512.LoadUnsafe(ref origin, (nuint)p);
            var v1 = Vector512.LoadUnsafe(ref origin, (nuint)(p + 1));
            var v2 = Vector512.LoadUnsafe(ref origin, (nuint)(p + 2));
            var v3 = Vector512.LoadUnsafe(ref origin, (nuint)(p + 3));
            var m = Vector512<byte>.Zero;
            if (_needles)
            {
                m = Avx512Vbmi.PermuteVar64x8x2(_n0, v0, _nh0) & Avx512Vbmi.PermuteVar64x8x2(_n1, v1, _nh1) &
                    Avx512Vbmi.PermuteVar64x8x2(_n2, v2, _nh2) & Avx512Vbmi.PermuteVar64x8x2(_n3, v3, _nh3);
            }

            if (_secrets)
            {
                m |= Avx512Vbmi.PermuteVar64x8x2(_s0, v0, _sh0) & Avx512Vbmi.PermuteVar64x8x2(_s1, v1, _sh1) &
                    Avx512Vbmi.PermuteVar64x8x2(_s2, v2, _sh2) & Avx512Vbmi.PermuteVar64x8x2(_s3, v3, _sh3);
            }

            return m;
        }

        private static Vector512<byte> Table(ReadOnlySpan<byte> tables, int half) => Vector512.Create(tables.Slice(half * 64, 64));
    }

    /// <summary>The nibble tables as 256-bit vectors, loaded once per search, and one 32-position step over them.</summary>
    private readonly struct Tables256
    {
        private readonly Vector256<byte> _n0, _n1, _n2, _nh0, _nh1, _nh2, _s0, _s1, _s2, _sh0, _sh1, _sh2;
        private readonly bool _needles, _secrets;

        public Tables256(CandidatePass pass)
        {
            (_n0, _n1, _n2) = (pass._low[0, 0].GetLower(), pass._low[0, 1].GetLower(), pass._low[0, 2].GetLower());
            (_nh0, _nh1, _nh2) = (pass._high[0, 0].GetLower(), pass._high[0, 1].GetLower(), pass._high[0, 2].GetLower());
            (_s0, _s1, _s2) = (pass._low[1, 0].GetLower(), pass._low[1, 1].GetLower(), pass._low[1, 2].GetLower());
            (_sh0, _sh1, _sh2) = (pass._high[1, 0].GetLower(), pass._high[1, 1].GetLower(), pass._high[1, 2].GetLower());
            (_needles, _secrets) = (pass._hasNeedles, pass._hasSecrets);
        }

        /// <summary>Bit k set where position <paramref name="p"/> + k may start a literal (reads 34 bytes from <paramref name="p"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Hits(ref byte origin, int p)
        {
            var nibble = Vector256.Create((byte)0x0F);
            var v0 = Vector256.LoadUnsafe(ref origin, (nuint)p);
            var v1 = Vector256.LoadUnsafe(ref origin, (nuint)(p + 1));
            var v2 = Vector256.LoadUnsafe(ref origin, (nuint)(p + 2));
            var (lo0, hi0) = (v0 & nibble, Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble);
            var (lo1, hi1) = (v1 & nibble, Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble);
            var (lo2, hi2) = (v2 & nibble, Vector256.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & nibble);
            var m = Vector256<byte>.Zero;
            if (_needles)
            {
                m = Lookup(lo0, hi0, _n0, _nh0) & Lookup(lo1, hi1, _n1, _nh1) & Lookup(lo2, hi2, _n2, _nh2);
            }

            if (_secrets)
            {
                m |= Lookup(lo0, hi0, _s0, _sh0) & Lookup(lo1, hi1, _s1, _sh1) & Lookup(lo2, hi2, _s2, _sh2);
            }

            return ~Vector256.Equals(m, Vector256<byte>.Zero).ExtractMostSignificantBits();
        }
    }
}
