using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Broker.Masking.Detection;

/// <summary>
/// One pass over the shadow bytes that finds every position where a literal the masker looks for may start: the
/// detectors' needles (keywords in any letter case, exact heads such as <c>AKIA</c> or <c>-----BEGIN</c>) and every
/// form of every registered secret. Text with no such position is read once, 32 or 64 bytes per step: each of a position's
/// first three bytes is looked up by its two nibbles in 16-entry tables (one byte shuffle each), and the three lookups
/// are combined, so a position survives only if its three bytes can begin some literal of the same bucket (eight
/// buckets for the needles, eight for the secrets' forms, which are random and would blur the needles' tables).
/// Survivors are checked against exact per-byte tables of the first eight bytes in 32 buckets before they are
/// reported; the callers then verify the literals themselves, so the pass only has to be a superset of the true
/// starts (it is: every literal's own bytes are in its tables).
/// </summary>
internal sealed class CandidatePass
{
    /// <summary>A position where a detector needle may start.</summary>
    public const int NeedleGroup = 1;

    /// <summary>A position where a registered secret's form may start.</summary>
    public const int SecretGroup = 2;

    // Bytes per position the vector step looks at, and the scalar check after it.
    private const int VectorWidth = 3;
    // Eight, not four: git log's every "Author:" begins like the "authorization" keyword for six bytes, and each position
    // reported costs the needle checks two passes over the literals of its first byte.
    private const int ScalarWidth = 8;
    private const int NeedleBuckets = 24;
    private const uint SecretBits = 0xFF00_0000;

    // Per byte value, the buckets (bits 0-23: needles, 24-31: secret forms) whose literals have it at offset k.
    private readonly uint[][] _exact = [.. Enumerable.Range(0, ScalarWidth).Select(_ => new uint[256])];
    // Per group (needles, secrets) and offset, eight buckets by nibble (16 entries, repeated per 128-bit lane).
    private readonly Vector512<byte>[,] _low = new Vector512<byte>[2, VectorWidth];
    private readonly Vector512<byte>[,] _high = new Vector512<byte>[2, VectorWidth];
    private readonly bool _hasNeedles;
    private readonly bool _hasSecrets;

    /// <param name="needles">Detector needles (ASCII) and whether they match in any letter case.</param>
    /// <param name="secretForms">The registered secrets' forms, one byte per character (Latin-1).</param>
    public CandidatePass(IEnumerable<(string Text, bool IgnoreCase)> needles, IEnumerable<string> secretForms)
    {
        Span<byte> tables = stackalloc byte[2 * VectorWidth * 2 * 16];
        // Needles with the same first three bytes (in either case) share a bucket: they pass or fail together anyway.
        var prefixes = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (text, ignoreCase) in needles)
        {
            var prefix = text[..Math.Min(3, text.Length)];
            if (!prefixes.TryGetValue(prefix, out var bucket))
            {
                bucket = prefixes.Count % NeedleBuckets;
                prefixes[prefix] = bucket;
            }

            Add(text, ignoreCase, 1u << bucket);
            AddNibbles(tables[..(VectorWidth * 32)], text, ignoreCase, (byte)(1 << VectorBucket(text)));
            _hasNeedles = true;
        }

        var order = 0;
        foreach (var form in secretForms)
        {
            Add(form, ignoreCase: false, 1u << (NeedleBuckets + (order & 7)));
            AddNibbles(tables[(VectorWidth * 32)..], form, ignoreCase: false, (byte)(1 << (order & 7)));
            order++;
            _hasSecrets = true;
        }

        Span<byte> repeated = stackalloc byte[64];
        for (var group = 0; group < 2; group++)
        {
            for (var k = 0; k < VectorWidth; k++)
            {
                var at = ((group * VectorWidth) + k) * 32;
                for (var lane = 0; lane < 64; lane += 16)
                {
                    tables.Slice(at, 16).CopyTo(repeated[lane..]);
                }

                _low[group, k] = Vector512.Create<byte>(repeated);
                for (var lane = 0; lane < 64; lane += 16)
                {
                    tables.Slice(at + 16, 16).CopyTo(repeated[lane..]);
                }

                _high[group, k] = Vector512.Create<byte>(repeated);
            }
        }
    }

    /// <summary>
    /// Appends to <paramref name="positions"/>, in order, every position from <paramref name="from"/> on where a literal
    /// may start (see <see cref="GroupsAt"/> for which kind).
    /// </summary>
    public void Find(ReadOnlySpan<byte> bytes, int from, List<int> positions)
    {
        var p = Math.Max(0, from);
        if (Avx512BW.IsSupported)
        {
            p = Find512(bytes, p, positions);
        }

        if (Avx2.IsSupported)
        {
            p = Find256(bytes, p, positions);
            if (bytes.Length - p > VectorWidth - 1)
            {
                // Fewer than 34 positions are left: one padded step judges those whose three bytes are all here (one at
                // a time they were a fixed cost of every push).
                p = FindInTail(bytes, p, positions);
            }
        }

        for (; p < bytes.Length; p++)
        {
            if (GroupsAt(bytes, p) != 0)
            {
                positions.Add(p);
            }
        }
    }

    /// <summary>Which groups (<see cref="NeedleGroup"/>, <see cref="SecretGroup"/>) may have a literal starting at <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GroupsAt(ReadOnlySpan<byte> bytes, int position)
    {
        // Bytes past the end may still come: they match anything, so a literal cut by the end is not lost.
        var buckets = _exact[0][bytes[position]];
        for (var k = 1; k < ScalarWidth && buckets != 0 && position + k < bytes.Length; k++)
        {
            buckets &= _exact[k][bytes[position + k]];
        }

        return ((buckets & ~SecretBits) != 0 ? NeedleGroup : 0) | ((buckets & SecretBits) != 0 ? SecretGroup : 0);
    }

    private void Add(string literal, bool ignoreCase, uint bucket)
    {
        for (var k = 0; k < ScalarWidth; k++)
        {
            if (k >= literal.Length)
            {
                // A literal shorter than the fingerprint: any byte may follow it.
                for (var b = 0; b < 256; b++)
                {
                    _exact[k][b] |= bucket;
                }

                continue;
            }

            var c = literal[k];
            if (c > 0xFF)
            {
                continue;
            }

            _exact[k][c] |= bucket;
            if (ignoreCase && char.IsAsciiLetter(c))
            {
                _exact[k][c ^ 0x20] |= bucket;
            }
        }
    }

    /// <summary>
    /// The vector bucket of a needle: needles whose first bytes are alike share one, so each bucket's nibble tables
    /// stay narrow (a bucket's tables admit every combination of its needles' nibbles).
    /// </summary>
    private static int VectorBucket(string needle)
    {
        var first = char.ToLowerInvariant(needle[0]);
        var second = needle.Length > 1 ? char.ToLowerInvariant(needle[1]) : '\0';
        return first switch
        {
            'p' => 0,
            's' => 1,
            't' => 2,
            'a' when second is 'c' or 'k' or 's' or 'b' or '3' => 4,
            'a' => 3,
            'm' or 'e' => 5,
            '_' or '-' => 6,
            _ => 7,
        };
    }

    /// <summary>Adds <paramref name="literal"/>'s first bytes to one group's nibble tables (per offset: 16 low-nibble entries, then 16 high).</summary>
    private static void AddNibbles(Span<byte> tables, string literal, bool ignoreCase, byte bucket)
    {
        for (var k = 0; k < VectorWidth; k++)
        {
            var table = tables.Slice(k * 32, 32);
            if (k >= literal.Length)
            {
                for (var n = 0; n < 32; n++)
                {
                    table[n] |= bucket;
                }

                continue;
            }

            var c = literal[k];
            if (c > 0xFF)
            {
                continue;
            }

            table[c & 15] |= bucket;
            table[16 + (c >> 4)] |= bucket;
            if (ignoreCase && char.IsAsciiLetter(c))
            {
                table[16 + ((c ^ 0x20) >> 4)] |= bucket;
            }
        }
    }

    private int Find512(ReadOnlySpan<byte> bytes, int p, List<int> positions)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var nibble = Vector512.Create((byte)0x0F);
        var (n0, n1, n2) = (_low[0, 0], _low[0, 1], _low[0, 2]);
        var (nh0, nh1, nh2) = (_high[0, 0], _high[0, 1], _high[0, 2]);
        var (s0, s1, s2) = (_low[1, 0], _low[1, 1], _low[1, 2]);
        var (sh0, sh1, sh2) = (_high[1, 0], _high[1, 1], _high[1, 2]);
        var (needles, secrets) = (_hasNeedles, _hasSecrets);
        // Three overlapping loads per step: the last one reads 64 bytes from p + 2.
        while (p + 64 + VectorWidth - 1 <= bytes.Length)
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

            Confirm(bytes, p, ~Vector512.Equals(m, Vector512<byte>.Zero).ExtractMostSignificantBits(), positions);

            p += 64;
        }

        return p;
    }

    private int Find256(ReadOnlySpan<byte> bytes, int p, List<int> positions)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var tables = new Tables256(this);
        while (p + 32 + VectorWidth - 1 <= bytes.Length)
        {
            Confirm(bytes, p, tables.Hits(ref origin, p), positions);
            p += 32;
        }

        return p;
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

    /// <summary>Adds the positions of <paramref name="hits"/> (bit k: position <paramref name="p"/> + k) that the exact tables confirm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Confirm(ReadOnlySpan<byte> bytes, int p, ulong hits, List<int> positions)
    {
        while (hits != 0)
        {
            var at = p + BitOperations.TrailingZeroCount(hits);
            if (GroupsAt(bytes, at) != 0)
            {
                positions.Add(at);
            }

            hits &= hits - 1;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lookup(Vector512<byte> low, Vector512<byte> high, Vector512<byte> lowTable, Vector512<byte> highTable) =>
        Avx512BW.Shuffle(lowTable, low) & Avx512BW.Shuffle(highTable, high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Lookup(Vector256<byte> low, Vector256<byte> high, Vector256<byte> lowTable, Vector256<byte> highTable) =>
        Avx2.Shuffle(lowTable, low) & Avx2.Shuffle(highTable, high);

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
