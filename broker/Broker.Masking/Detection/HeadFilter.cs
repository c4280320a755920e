using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Broker.Masking.Detection;

/// <summary>
/// Which of 64 anchors in a row could make <see cref="AnchoredHeads"/> offer anything, judged for all of them at once with
/// vector lookups instead of one anchor at a time: most anchors of ordinary output (a GUID's groups, a hash, the parts
/// of a path) begin no head and hold no detector's marker, and visiting each of them was about half of the anchored
/// heads' cost. A position passes when its first two bytes hash to a bit set by some head's first two bytes (a
/// 1,024-bit table: seven bits of the hash pick one of 128 table bytes with one byte permute, three pick the bit) or when
/// the marker byte an every-anchor detector needs is at its offset. The answer is a superset of the anchors that do
/// something (every head's own pair sets its bit, every marker is compared); the anchors it keeps are checked exactly as
/// before. It reads 64 bytes from the block's start and from each marker's offset on; near the text's end it reads a
/// zero-padded copy, and every position whose pair or marker byte is not in the text yet (a head cut by the end) is kept.
/// Without AVX-512 VBMI every anchor is kept.
/// </summary>
internal sealed class HeadFilter
{
    private const int Block = 64;

    private readonly Vector512<byte> _tableLow;
    private readonly Vector512<byte> _tableHigh;
    private readonly (int Offset, byte Marker)[] _markers;
    private readonly bool _enabled;

    /// <param name="heads">Every head, at least two bytes long.</param>
    /// <param name="markers">The every-anchor detectors' markers; null for one that wants every anchor whatever its bytes.</param>
    public HeadFilter(IEnumerable<string> heads, IEnumerable<(int Offset, byte Marker)?> markers)
    {
        Span<byte> table = stackalloc byte[2 * Block];
        table.Clear();
        foreach (var head in heads)
        {
            var (first, second) = ((byte)head[0], (byte)head[1]);
            table[Index(first, second) & 127] |= (byte)(1 << (Bit(first, second) & 7));
        }

        _tableLow = Vector512.Create<byte>(table[..Block]);
        _tableHigh = Vector512.Create<byte>(table[Block..]);
        var all = markers.ToArray();
        _markers = [.. all.Where(m => m is not null).Select(m => m!.Value)];
        Reach = Block + Math.Max(1, _markers.Length == 0 ? 0 : _markers.Max(m => m.Offset));
        // A marker further on than a block would not fit the padded copy near the end (the built-in one is four bytes on).
        _enabled = Avx512Vbmi.IsSupported && all.All(m => m is not null) && Reach <= 2 * Block;
    }

    /// <summary>How many bytes from a block's start <see cref="Keep"/> reads; a block closer to the text's end is judged on a padded copy.</summary>
    public int Reach { get; }

    /// <summary>
    /// Of <paramref name="anchors"/> (bit k: position <paramref name="block"/> + k), those that may begin a head or hold a
    /// marker; all of those whose deciding bytes are not all in <paramref name="bytes"/> (a head or a marker cut by the end).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Keep(ReadOnlySpan<byte> bytes, int block, ulong anchors)
    {
        if (!_enabled || block < 0 || anchors == 0)
        {
            return anchors;
        }

        return block + Reach <= bytes.Length ? anchors & Hits(bytes, block) : anchors & HitsNearEnd(bytes, block);
    }

    /// <summary>Bit k set where position <paramref name="block"/> + k may begin a head or holds a marker; reads <see cref="Reach"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Hits(ReadOnlySpan<byte> bytes, int block)
    {
        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var hits = PairHits(Vector512.LoadUnsafe(ref origin, (nuint)block), Vector512.LoadUnsafe(ref origin, (nuint)(block + 1)));
        foreach (var (offset, marker) in _markers)
        {
            hits |= Vector512.Equals(Vector512.LoadUnsafe(ref origin, (nuint)(block + offset)), Vector512.Create(marker)).ExtractMostSignificantBits();
        }

        return hits;
    }

    /// <summary>
    /// <see cref="Hits"/> for a block that ends within <see cref="Reach"/> of the text's end, with every position whose pair
    /// or marker byte lies past the end kept. The block's bytes are picked by byte permutes out of the 128 bytes that end
    /// the text (position k, at distance d, is byte k + d of the block's start in that window, modulo 128): the positions
    /// whose bytes are all in the text read them, the others read bytes from elsewhere in the window and are kept anyway,
    /// so the answer is the same superset. A text shorter than the window is judged on a zero-padded copy. Every push's
    /// last word or two used to keep all their anchors, each then checked one by one.
    /// </summary>
    [SkipLocalsInit]
    private ulong HitsNearEnd(ReadOnlySpan<byte> bytes, int block)
    {
        var rest = bytes.Length - block;
        // The first position whose pair's second byte, or some marker's byte, is not in the text yet (below Block: rest < Reach).
        var cut = rest - (Reach - Block);
        var undecided = cut <= 0 ? ulong.MaxValue : ulong.MaxValue << cut;
        if (bytes.Length < 2 * Block)
        {
            Span<byte> padded = stackalloc byte[2 * Block];
            bytes[block..].CopyTo(padded);
            padded[rest..].Clear();
            return Hits(padded, 0) | undecided;
        }

        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var low = Vector512.LoadUnsafe(ref origin, (nuint)(bytes.Length - (2 * Block)));
        var high = Vector512.LoadUnsafe(ref origin, (nuint)(bytes.Length - Block));
        // Where position k's own byte is in the window: the block starts 2 · Block − rest bytes into it.
        var at = Vector512<byte>.Indices + Vector512.Create((byte)((2 * Block) - rest));
        var hits = PairHits(Avx512Vbmi.PermuteVar64x8x2(low, at, high), Avx512Vbmi.PermuteVar64x8x2(low, at + Vector512<byte>.One, high));
        foreach (var (offset, marker) in _markers)
        {
            var shifted = Avx512Vbmi.PermuteVar64x8x2(low, at + Vector512.Create((byte)offset), high);
            hits |= Vector512.Equals(shifted, Vector512.Create(marker)).ExtractMostSignificantBits();
        }

        return hits | undecided;
    }

    /// <summary>Bit k set where the pair of bytes k of <paramref name="first"/> and <paramref name="second"/> sets its bit in the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong PairHits(Vector512<byte> first, Vector512<byte> second)
    {
        // The same arithmetic as Index and Bit, per byte: the permute reads the low seven bits of the index.
        var twice = second + second;
        var eight = twice + twice;
        eight += eight;
        var index = first + eight + (Vector512.ShiftRightLogical(second.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F));
        var bit = (Vector512.ShiftRightLogical(first.AsUInt16(), 4).AsByte() ^ second) & Vector512.Create((byte)7);
        var entries = Avx512Vbmi.PermuteVar64x8x2(_tableLow, index, _tableHigh);
        var selected = entries & Avx512BW.Shuffle(Vector512.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0), bit);
        return ~Vector512.Equals(selected, Vector512<byte>.Zero).ExtractMostSignificantBits();
    }

    /// <summary>The table byte of a pair (its low seven bits count): the first byte plus eight times the second plus its high nibble, modulo 256.</summary>
    internal static int Index(byte first, byte second) => (byte)(first + (byte)(second * 8) + (second >> 4));

    /// <summary>The bit of a pair within its table byte (its low three bits count).</summary>
    internal static int Bit(byte first, byte second) => (first >> 4) ^ second;
}
