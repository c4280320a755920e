using System.Buffers.Binary;
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
/// first three bytes is looked up by its two nibbles in 16-entry tables (one byte shuffle each), or with AVX-512 VBMI
/// whole, by its low seven bits, in a 128-entry table (one byte permute each, and a fourth byte too), and the lookups are combined, so a position survives only if those bytes can begin some literal of the same bucket (eight
/// buckets for the needles, eight for the secrets' forms, which are random and would blur the needles' tables).
/// Survivors are checked against exact per-byte tables of the first eight bytes in 32 buckets before they are
/// reported; the callers then verify the literals themselves, so the pass only has to be a superset of the true
/// starts (it is: every literal's own bytes are in its tables).
/// </summary>
internal sealed partial class CandidatePass
{
    /// <summary>A position where a detector needle may start.</summary>
    public const int NeedleGroup = 1;

    /// <summary>A position where a registered secret's form may start.</summary>
    public const int SecretGroup = 2;

    // Bytes per position the vector step looks at, and the scalar check after it.
    private const int VectorWidth = 3;
    // The AVX-512 VBMI step looks at a fourth byte too: its byte tables are cheap enough, and the fourth byte rules out
    // most positions that begin like a literal for three (`app/` like `app_key`, `-pac` like `-pat`), each of which cost
    // a mispredicted branch and the exact check after the step.
    private const int ByteWidth = 4;
    // Eight, not four: git log's every "Author:" begins like the "authorization" keyword for six bytes, and each position
    // reported costs the needle checks two passes over the literals of its first byte.
    private const int ScalarWidth = 8;
    private const int NeedleBuckets = 24;
    // Vector steps looked up before their survivors are confirmed: a 1 KiB push with its look-behind in one go.
    private const int Block = 32;
    private const uint SecretBits = 0xFF00_0000;

    // Per byte value, the buckets (bits 0-23: needles, 24-31: secret forms) whose literals have it at offset k.
    // One array, offset k's 256 entries at k × 256: a survivor of the vector step is checked without an array per byte.
    private readonly uint[] _exact = new uint[ScalarWidth * 256];
    // Per group (needles, secrets) and offset, eight buckets by nibble (16 entries, repeated per 128-bit lane).
    private readonly Vector512<byte>[,] _low = new Vector512<byte>[2, VectorWidth];
    private readonly Vector512<byte>[,] _high = new Vector512<byte>[2, VectorWidth];
    // The same buckets by a byte's low seven bits, for the AVX-512 VBMI step.
    private readonly ByteTables _bytes;
    private readonly bool _hasNeedles;
    private readonly bool _hasSecrets;

    /// <param name="needles">Detector needles (ASCII) and whether they match in any letter case.</param>
    /// <param name="secretForms">The registered secrets' forms, one byte per character (Latin-1).</param>
    public CandidatePass(IEnumerable<(string Text, bool IgnoreCase)> needles, IEnumerable<string> secretForms)
    {
        Span<byte> tables = stackalloc byte[2 * VectorWidth * 2 * 16];
        Span<byte> byteTables = stackalloc byte[2 * ByteWidth * 128];
        byteTables.Clear();
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
            AddBytes(byteTables[..(ByteWidth * 128)], text, ignoreCase, (byte)(1 << VectorBucket(text)));
            _hasNeedles = true;
        }

        var order = 0;
        foreach (var form in secretForms)
        {
            Add(form, ignoreCase: false, 1u << (NeedleBuckets + (order & 7)));
            AddNibbles(tables[(VectorWidth * 32)..], form, ignoreCase: false, (byte)(1 << (order & 7)));
            AddBytes(byteTables[(ByteWidth * 128)..], form, ignoreCase: false, (byte)(1 << (order & 7)));
            order++;
            _hasSecrets = true;
        }

        _bytes = new ByteTables(byteTables, _hasNeedles, _hasSecrets);
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
        if (Avx512Vbmi.IsSupported)
        {
            p = Find512Bytes(bytes, p, positions);
        }
        else if (Avx512BW.IsSupported)
        {
            p = Find512(bytes, p, positions);
        }

        if (Avx2.IsSupported && !Avx512Vbmi.IsSupported)
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
        var rest = bytes[position..];
        uint buckets;
        if (rest.Length >= ScalarWidth)
        {
            // All eight bytes at once, with no branch per byte: the vector step's survivors fail at varying bytes (git log's
            // "Author:" at the seventh), and a loop that stops at the first was mispredicted at most of them.
            // In range: each index is a byte plus 256 times an offset below ScalarWidth.
            var word = BinaryPrimitives.ReadUInt64LittleEndian(rest);
            ref var table = ref MemoryMarshal.GetArrayDataReference(_exact);
            buckets = Unsafe.Add(ref table, (int)(byte)word) & Unsafe.Add(ref table, 256 + (int)(byte)(word >> 8)) &
                Unsafe.Add(ref table, 512 + (int)(byte)(word >> 16)) & Unsafe.Add(ref table, 768 + (int)(byte)(word >> 24)) &
                Unsafe.Add(ref table, 1024 + (int)(byte)(word >> 32)) & Unsafe.Add(ref table, 1280 + (int)(byte)(word >> 40)) &
                Unsafe.Add(ref table, 1536 + (int)(byte)(word >> 48)) & Unsafe.Add(ref table, 1792 + (int)(byte)(word >> 56));
        }
        else
        {
            // Bytes past the end may still come: they match anything, so a literal cut by the end is not lost.
            buckets = _exact[rest[0]];
            for (var k = 1; k < rest.Length; k++)
            {
                buckets &= _exact[(k * 256) + rest[k]];
            }
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
                    _exact[(k * 256) + b] |= bucket;
                }

                continue;
            }

            var c = literal[k];
            if (c > 0xFF)
            {
                continue;
            }

            _exact[(k * 256) + c] |= bucket;
            if (ignoreCase && char.IsAsciiLetter(c))
            {
                _exact[(k * 256) + (c ^ 0x20)] |= bucket;
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

    /// <summary>
    /// Adds <paramref name="literal"/>'s first four bytes to one group's byte tables (per offset: 128 entries by the low seven
    /// bits, so a byte of 128 or more shares its entry with the byte 128 below it: a superset, never a miss).
    /// </summary>
    private static void AddBytes(Span<byte> tables, string literal, bool ignoreCase, byte bucket)
    {
        for (var k = 0; k < ByteWidth; k++)
        {
            var table = tables.Slice(k * 128, 128);
            if (k >= literal.Length)
            {
                for (var n = 0; n < 128; n++)
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

            table[c & 0x7F] |= bucket;
            if (ignoreCase && char.IsAsciiLetter(c))
            {
                table[(c ^ 0x20) & 0x7F] |= bucket;
            }
        }
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
}

