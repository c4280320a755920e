using System.Buffers;

namespace Broker.Masking.Text;

/// <summary>
/// The text one view's detectors match on: the characters a terminal shows, without the escape sequences
/// and control characters around them, each remembering the raw byte it came from (by runs of consecutive
/// raw offsets). Positions are absolute so they survive compaction.
/// </summary>
internal sealed class ShadowText
{
    private const int InitialSize = 4096;
    // How many segments from the end a lookup walks back before it searches the older ones.
    private const int RecentSegments = 4;

    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(InitialSize);
    private int _length;
    private readonly Detection.ByteClasses _classes = new();
    private Segment[] _segments = new Segment[64];
    private int _segmentCount;

    /// <summary>Absolute position of the first character kept.</summary>
    public long Base { get; private set; }

    public long End => Base + _length;

    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, _length);

    /// <summary>The byte classes of <see cref="Bytes"/>: what was appended since the last scan is classified now, the rest was already.</summary>
    public Detection.ByteClasses Classes => _classes.Extend(Bytes);

    public void Append(ReadOnlySpan<byte> text, long rawOffset)
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (_segmentCount == 0 || RawOfEnd() != rawOffset)
        {
            if (_segmentCount == _segments.Length)
            {
                Array.Resize(ref _segments, _segments.Length * 2);
            }

            _segments[_segmentCount++] = new Segment(End, rawOffset);
        }

        if (_length + text.Length > _bytes.Length)
        {
            var size = Math.Max(_bytes.Length * 2, _length + text.Length);
            Grow(ref _bytes, _length, size);
        }

        text.CopyTo(_bytes.AsSpan(_length));
        _length += text.Length;
    }

    public void Append(byte character, long rawOffset) => Append([character], rawOffset);

    /// <summary>Raw offset of the byte behind position <paramref name="position"/>.</summary>
    public long RawOf(long position)
    {
        var segment = _segments[SegmentOf(position)];
        return segment.RawStart + (position - segment.Start);
    }

    /// <summary>
    /// How many positions from <paramref name="position"/> (at most up to <paramref name="end"/>) stand for consecutive raw
    /// bytes, and the raw offset of the first: the text between two escape sequences, in one lookup.
    /// </summary>
    public (long RawStart, int Length) RunAt(long position, long end)
    {
        var index = SegmentOf(position);
        var segment = _segments[index];
        var segmentEnd = index + 1 < _segmentCount ? _segments[index + 1].Start : End;
        return (segment.RawStart + (position - segment.Start), (int)(Math.Min(end, segmentEnd) - position));
    }

    /// <summary>The first position whose raw byte is at or after <paramref name="rawOffset"/> (<see cref="End"/> when none).</summary>
    public long PositionOf(long rawOffset)
    {
        if (_segmentCount == 0)
        {
            return End;
        }

        var lo = LastSegmentAtOrBefore<ByRawStart>(rawOffset);
        var segment = _segments[lo];
        var segmentEnd = lo + 1 < _segmentCount ? _segments[lo + 1].Start : End;
        if (rawOffset < segment.RawStart)
        {
            return segment.Start;
        }

        return Math.Min(segmentEnd, segment.Start + (rawOffset - segment.RawStart));
    }

    /// <summary>Drops everything before <paramref name="keep"/>.</summary>
    public void Compact(long keep)
    {
        var drop = (int)(keep - Base);
        if (drop <= 0)
        {
            return;
        }

        _bytes.AsSpan(drop, _length - drop).CopyTo(_bytes);
        _length -= drop;
        // The bytes moved by any amount: they are classified again from the front (rarely, and what is kept is short).
        _classes.Reset();
        Base = keep;
        var first = 0;
        while (first + 1 < _segmentCount && _segments[first + 1].Start <= keep)
        {
            first++;
        }

        if (first > 0)
        {
            _segments.AsSpan(first, _segmentCount - first).CopyTo(_segments);
            _segmentCount -= first;
        }
    }

    /// <summary>An independent copy (a channel's own view, forked from the combined one when a second channel appears).</summary>
    public ShadowText Clone()
    {
        var copy = new ShadowText { Base = Base };
        copy.Append(Bytes, 0);
        copy._segments = (Segment[])_segments.Clone();
        copy._segmentCount = _segmentCount;
        return copy;
    }

    /// <summary>Gives the buffers back to the pool, cleared (they held unmasked output); nothing may be appended afterwards.</summary>
    public void Release()
    {
        Return(ref _bytes);
        _classes.Release();
        Base += _length;
        _length = 0;
    }

    /// <summary>The last segment that starts at or before <paramref name="position"/> (0 when none does).</summary>
    private int SegmentOf(long position) => LastSegmentAtOrBefore<ByStart>(position);

    /// <summary>The last segment whose <typeparamref name="TKey"/> is at or before <paramref name="value"/> (0 when none is).</summary>
    private int LastSegmentAtOrBefore<TKey>(long value)
        where TKey : struct, ISegmentKey
    {
        // Most positions and offsets asked for lie in the last few segments (the release point, the end of a push, a held
        // candidate, with a colour sequence or two after them): they are walked back to; only older ones are searched for.
        var lo = _segmentCount - 1;
        for (var k = 0; k < RecentSegments && lo > 0 && TKey.Of(_segments[lo]) > value; k++)
        {
            lo--;
        }

        if (lo > 0 && TKey.Of(_segments[lo]) > value)
        {
            var hi = lo - 1;
            lo = 0;
            while (lo < hi)
            {
                var mid = (lo + hi + 1) >> 1;
                if (TKey.Of(_segments[mid]) <= value)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }
        }

        return Math.Max(lo, 0);
    }

    private long RawOfEnd()
    {
        var last = _segments[_segmentCount - 1];
        return last.RawStart + (End - last.Start);
    }

    private static void Grow<T>(ref T[] array, int used, int size)
    {
        var grown = ArrayPool<T>.Shared.Rent(size);
        array.AsSpan(0, used).CopyTo(grown);
        Return(ref array);
        array = grown;
    }

    private static void Return<T>(ref T[] array)
    {
        if (array.Length > 0)
        {
            ArrayPool<T>.Shared.Return(array, clearArray: true);
        }

        array = [];
    }

    private readonly record struct Segment(long Start, long RawStart);

    /// <summary>Which of a segment's two starts a lookup orders by (a struct per key, so each lookup is compiled for its own).</summary>
    private interface ISegmentKey
    {
        static abstract long Of(Segment segment);
    }

    private readonly struct ByStart : ISegmentKey
    {
        public static long Of(Segment segment) => segment.Start;
    }

    private readonly struct ByRawStart : ISegmentKey
    {
        public static long Of(Segment segment) => segment.RawStart;
    }
}
