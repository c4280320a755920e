using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Broker.Masking.Detection;

/// <summary>
/// Which of 64 anchors in a row could make <see cref="AnchoredHeads"/> offer anything, judged for all of them at once with
/// vector lookups instead of one anchor at a time: most anchors of ordinary output (a GUID's groups, a hash, the parts
/// of a path) begin no head and hold no detector's marker, and visiting each of them one by one was the larger part of
/// the anchored heads' cost. A position passes when its first two bytes may be a head's (each byte looked up by its two
/// nibbles in 16-entry tables, in eight buckets by the first byte) or when the marker byte an every-anchor detector needs
/// is at its offset. The answer is a superset of the anchors that do something (every head's own bytes and every marker
/// are in the tables); the anchors it keeps are checked exactly as before. It reads 64 bytes from the block's start and
/// from each offset on, so near the text's end, where a head may be cut by it, every anchor is kept.
/// </summary>
internal sealed class HeadFilter
{
    private readonly Vector512<byte> _firstLow;
    private readonly Vector512<byte> _firstHigh;
    private readonly Vector512<byte> _secondLow;
    private readonly Vector512<byte> _secondHigh;
    private readonly (int Offset, byte Marker)[] _markers;
    private readonly bool _enabled;

    /// <param name="heads">Every head, at least two bytes long.</param>
    /// <param name="markers">The every-anchor detectors' markers; null for one that wants every anchor whatever its bytes.</param>
    public HeadFilter(IEnumerable<string> heads, IEnumerable<(int Offset, byte Marker)?> markers)
    {
        Span<byte> tables = stackalloc byte[4 * 16];
        foreach (var head in heads)
        {
            var (first, second) = (head[0], head[1]);
            var bucket = (byte)(1 << Bucket(first));
            tables[first & 15] |= bucket;
            tables[16 + ((first >> 4) & 15)] |= bucket;
            tables[32 + (second & 15)] |= bucket;
            tables[48 + ((second >> 4) & 15)] |= bucket;
        }

        _firstLow = Repeat(tables[..16]);
        _firstHigh = Repeat(tables[16..32]);
        _secondLow = Repeat(tables[32..48]);
        _secondHigh = Repeat(tables[48..]);
        var all = markers.ToArray();
        _markers = [.. all.Where(m => m is not null).Select(m => m!.Value)];
        _enabled = Avx2.IsSupported && all.All(m => m is not null);
        Reach = 64 + Math.Max(1, _markers.Length == 0 ? 0 : _markers.Max(m => m.Offset));
    }

    /// <summary>How many bytes from a block's start <see cref="Keep"/> reads; a block closer to the text's end keeps every anchor.</summary>
    public int Reach { get; }

    /// <summary>
    /// Of <paramref name="anchors"/> (bit k: position <paramref name="block"/> + k), those that may begin a head or hold a
    /// marker; all of them when the bytes they need are not all in <paramref name="bytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Keep(ReadOnlySpan<byte> bytes, int block, ulong anchors)
    {
        if (!_enabled || block < 0 || block + Reach > bytes.Length)
        {
            return anchors;
        }

        return anchors & (Avx512BW.IsSupported ? Hits512(bytes, block) : Hits256(bytes, block) | ((ulong)Hits256(bytes, block + 32) << 32));
    }

    /// <summary>Bit k set where position <paramref name="block"/> + k may begin a head or holds a marker (64 positions, AVX-512).</summary>
    internal ulong Hits512(ReadOnlySpan<byte> bytes, int block)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var nibble = Vector512.Create((byte)0x0F);
        var v0 = Vector512.LoadUnsafe(ref origin, (nuint)block);
        var v1 = Vector512.LoadUnsafe(ref origin, (nuint)(block + 1));
        var pairs =
            Avx512BW.Shuffle(_firstLow, v0 & nibble) & Avx512BW.Shuffle(_firstHigh, Vector512.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble) &
            Avx512BW.Shuffle(_secondLow, v1 & nibble) & Avx512BW.Shuffle(_secondHigh, Vector512.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble);
        var hits = ~Vector512.Equals(pairs, Vector512<byte>.Zero).ExtractMostSignificantBits();
        foreach (var (offset, marker) in _markers)
        {
            hits |= Vector512.Equals(Vector512.LoadUnsafe(ref origin, (nuint)(block + offset)), Vector512.Create(marker)).ExtractMostSignificantBits();
        }

        return hits;
    }

    /// <summary>Bit k set where position <paramref name="block"/> + k may begin a head or holds a marker (32 positions, AVX2).</summary>
    internal uint Hits256(ReadOnlySpan<byte> bytes, int block)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var nibble = Vector256.Create((byte)0x0F);
        var v0 = Vector256.LoadUnsafe(ref origin, (nuint)block);
        var v1 = Vector256.LoadUnsafe(ref origin, (nuint)(block + 1));
        var pairs =
            Avx2.Shuffle(_firstLow.GetLower(), v0 & nibble) & Avx2.Shuffle(_firstHigh.GetLower(), Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble) &
            Avx2.Shuffle(_secondLow.GetLower(), v1 & nibble) & Avx2.Shuffle(_secondHigh.GetLower(), Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble);
        var hits = ~Vector256.Equals(pairs, Vector256<byte>.Zero).ExtractMostSignificantBits();
        foreach (var (offset, marker) in _markers)
        {
            hits |= Vector256.Equals(Vector256.LoadUnsafe(ref origin, (nuint)(block + offset)), Vector256.Create(marker)).ExtractMostSignificantBits();
        }

        return hits;
    }

    /// <summary>
    /// A head's bucket, by its first byte: the high nibble for the punctuation, digits and capitals, the high nibble and
    /// one bit of the low for the small letters (most heads begin with one), so a bucket's first bytes are exactly those
    /// of its heads and its second bytes are few.
    /// </summary>
    private static int Bucket(char first) => first >= 0x60 ? 4 + ((first >> 3) & 3) : (first >> 4) & 3;

    private static Vector512<byte> Repeat(ReadOnlySpan<byte> table)
    {
        Span<byte> repeated = stackalloc byte[64];
        for (var lane = 0; lane < 64; lane += 16)
        {
            table.CopyTo(repeated[lane..]);
        }

        return Vector512.Create<byte>(repeated);
    }
}
