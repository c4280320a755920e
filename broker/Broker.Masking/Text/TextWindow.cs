using System.Buffers;
using System.Text;

namespace Broker.Masking.Text;

/// <summary>
/// The raw bytes not yet released plus the shadow view the detectors match on: the same text with
/// ANSI escape sequences, control characters and carriage returns left out. Positions are absolute
/// stream offsets so they survive compaction; each visible run remembers where its raw bytes are.
/// </summary>
internal sealed class TextWindow
{
    // C0 controls except TAB and LF, plus ESC and DEL: everything that leaves the visible text.
    private static readonly SearchValues<byte> s_special = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    private const int InitialSize = 4096;

    // Pooled: a masker per stream otherwise allocates its grown buffers afresh (large-object heap, page faults).
    private byte[] _raw = ArrayPool<byte>.Shared.Rent(InitialSize);
    private int _rawLength;
    private byte[] _shadow = ArrayPool<byte>.Shared.Rent(InitialSize);
    private char[] _chars = ArrayPool<char>.Shared.Rent(InitialSize);
    private int _shadowLength;
    private Segment[] _segments = new Segment[64];
    private int _segmentCount;
    private EscapeState _state;

    /// <summary>Absolute raw offset of <c>_raw[0]</c>.</summary>
    public long RawBase { get; private set; }

    /// <summary>Absolute shadow offset of <c>_shadow[0]</c>.</summary>
    public long ShadowBase { get; private set; }

    public long RawEnd => RawBase + _rawLength;

    public long ShadowEnd => ShadowBase + _shadowLength;

    public ReadOnlySpan<byte> Shadow => _shadow.AsSpan(0, _shadowLength);

    public ReadOnlySpan<char> Chars => _chars.AsSpan(0, _shadowLength);

    public ReadOnlySpan<byte> Raw(long from, long to) => _raw.AsSpan((int)(from - RawBase), (int)(to - from));

    public void Append(ReadOnlySpan<byte> chunk)
    {
        EnsureRaw(_rawLength + chunk.Length);
        chunk.CopyTo(_raw.AsSpan(_rawLength));
        var rawStart = RawEnd;
        _rawLength += chunk.Length;

        var i = 0;
        while (i < chunk.Length)
        {
            if (_state == EscapeState.Ground)
            {
                var run = chunk[i..].IndexOfAny(s_special);
                var visible = run < 0 ? chunk.Length - i : run;
                if (visible > 0)
                {
                    AppendVisible(chunk.Slice(i, visible), rawStart + i);
                    i += visible;
                    continue;
                }
            }

            _state = Step(_state, chunk[i]);
            i++;
        }
    }

    /// <summary>Raw offset of the byte behind shadow position <paramref name="position"/>.</summary>
    public long RawOf(long position)
    {
        int lo = 0, hi = _segmentCount - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_segments[mid].ShadowStart <= position)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        var segment = _segments[lo];
        return segment.RawStart + (position - segment.ShadowStart);
    }

    /// <summary>Drops raw bytes before <paramref name="rawKeep"/> and shadow before <paramref name="shadowKeep"/>.</summary>
    public void Compact(long rawKeep, long shadowKeep)
    {
        var rawDrop = (int)(rawKeep - RawBase);
        if (rawDrop > 0)
        {
            _raw.AsSpan(rawDrop, _rawLength - rawDrop).CopyTo(_raw);
            _rawLength -= rawDrop;
            RawBase = rawKeep;
        }

        var shadowDrop = (int)(shadowKeep - ShadowBase);
        if (shadowDrop <= 0)
        {
            return;
        }

        _shadow.AsSpan(shadowDrop, _shadowLength - shadowDrop).CopyTo(_shadow);
        _chars.AsSpan(shadowDrop, _shadowLength - shadowDrop).CopyTo(_chars);
        _shadowLength -= shadowDrop;
        ShadowBase = shadowKeep;

        var first = 0;
        while (first + 1 < _segmentCount && _segments[first + 1].ShadowStart <= shadowKeep)
        {
            first++;
        }

        if (first > 0)
        {
            _segments.AsSpan(first, _segmentCount - first).CopyTo(_segments);
            _segmentCount -= first;
        }
    }

    private void AppendVisible(ReadOnlySpan<byte> bytes, long rawOffset)
    {
        var position = ShadowEnd;
        if (_segmentCount == 0 || RawOfEnd() != rawOffset)
        {
            if (_segmentCount == _segments.Length)
            {
                Array.Resize(ref _segments, _segments.Length * 2);
            }

            _segments[_segmentCount++] = new Segment(position, rawOffset);
        }

        if (_shadowLength + bytes.Length > _shadow.Length || _shadowLength + bytes.Length > _chars.Length)
        {
            var size = Math.Max(_shadow.Length * 2, _shadowLength + bytes.Length);
            Grow(ref _shadow, _shadowLength, size);
            Grow(ref _chars, _shadowLength, size);
        }

        bytes.CopyTo(_shadow.AsSpan(_shadowLength));
        // Latin-1 widening keeps one char per byte, so char and byte positions stay the same.
        Encoding.Latin1.GetChars(bytes, _chars.AsSpan(_shadowLength));
        _shadowLength += bytes.Length;
    }

    private long RawOfEnd()
    {
        var last = _segments[_segmentCount - 1];
        return last.RawStart + (ShadowEnd - last.ShadowStart);
    }

    private void EnsureRaw(int size)
    {
        if (size > _raw.Length)
        {
            Grow(ref _raw, _rawLength, Math.Max(_raw.Length * 2, size));
        }
    }

    /// <summary>
    /// Gives the buffers back to the pool, cleared (they held unmasked output). The window is empty
    /// afterwards and must not be appended to again.
    /// </summary>
    public void Release()
    {
        Return(ref _raw);
        Return(ref _shadow);
        Return(ref _chars);
        RawBase += _rawLength;
        ShadowBase += _shadowLength;
        _rawLength = 0;
        _shadowLength = 0;
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

    // ECMA-48 just far enough to know which bytes a terminal does not print.
    private static EscapeState Step(EscapeState state, byte b)
    {
        if (b is 0x18 or 0x1A)
        {
            return EscapeState.Ground;
        }

        return state switch
        {
            EscapeState.Ground => b == 0x1B ? EscapeState.Escape : EscapeState.Ground,
            EscapeState.Escape => b switch
            {
                (byte)'[' => EscapeState.Csi,
                (byte)']' or (byte)'P' or (byte)'X' or (byte)'^' or (byte)'_' => EscapeState.String,
                >= 0x20 and <= 0x2F => EscapeState.EscapeIntermediate,
                0x1B => EscapeState.Escape,
                _ => EscapeState.Ground,
            },
            EscapeState.EscapeIntermediate => b is >= 0x20 and <= 0x2F ? EscapeState.EscapeIntermediate : EscapeState.Ground,
            EscapeState.Csi => b is >= 0x20 and <= 0x3F ? EscapeState.Csi : b == 0x1B ? EscapeState.Escape : EscapeState.Ground,
            EscapeState.String => b switch
            {
                0x07 => EscapeState.Ground,
                0x1B => EscapeState.StringEscape,
                _ => EscapeState.String,
            },
            EscapeState.StringEscape => b == (byte)'\\' ? EscapeState.Ground : b == 0x1B ? EscapeState.StringEscape : EscapeState.String,
            _ => EscapeState.Ground,
        };
    }

    private readonly record struct Segment(long ShadowStart, long RawStart);

    private enum EscapeState
    {
        Ground,
        Escape,
        EscapeIntermediate,
        Csi,
        String,
        StringEscape,
    }
}
