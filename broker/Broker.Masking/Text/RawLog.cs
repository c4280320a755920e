using System.Buffers;

namespace Broker.Masking.Text;

/// <summary>
/// The raw bytes of every channel of one output view, in arrival order, not yet released; each byte
/// remembers its channel (runs of one channel). Offsets are absolute stream offsets so they survive compaction.
/// </summary>
internal sealed class RawLog
{
    private const int InitialSize = 4096;

    // Pooled: a masker per session otherwise allocates its grown buffers afresh (large-object heap, page faults).
    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(InitialSize);
    private int _length;
    private long[] _runStarts = new long[4];
    private byte[] _runChannels = new byte[4];
    private int _runCount;
    // Bytes of the chunk being pushed, past the stored ones: read from the caller's span until Keep.
    private int _staged;

    /// <summary>Absolute offset of the first byte kept.</summary>
    public long Base { get; private set; }

    public long End => Base + _length + _staged;

    /// <summary>Whether every byte so far came from one channel.</summary>
    public bool SingleChannel { get; private set; } = true;

    /// <summary>
    /// Takes the next chunk from <paramref name="channel"/> without storing its bytes yet: until <see cref="Keep"/>, they
    /// are read from the caller's chunk (<see cref="Slice(long, long, ReadOnlySpan{byte})"/>). Returns the absolute
    /// offset of its first byte.
    /// </summary>
    public long Stage(int channel, int length)
    {
        var start = End;
        _staged = length;
        if (_runCount == 0 || _runChannels[_runCount - 1] != channel)
        {
            if (_runCount > 0)
            {
                SingleChannel = false;
            }

            if (_runCount == _runStarts.Length)
            {
                Array.Resize(ref _runStarts, _runCount * 2);
                Array.Resize(ref _runChannels, _runCount * 2);
            }

            _runStarts[_runCount] = start;
            _runChannels[_runCount++] = (byte)channel;
        }

        return start;
    }

    /// <summary>
    /// Stores what is still needed of the staged <paramref name="chunk"/>, everything before <paramref name="released"/>
    /// having been written out: when that is all the stored bytes too, only the chunk's unreleased tail is copied (most
    /// pushes of ordinary output are released whole, and then nothing is), else the whole chunk after the stored bytes.
    /// </summary>
    public void Keep(ReadOnlySpan<byte> chunk, long released)
    {
        var stored = Base + _length;
        _staged = 0;
        if (released >= stored)
        {
            DropBefore(released);
            chunk = chunk[(int)(released - stored)..];
        }

        if (_length + chunk.Length > _bytes.Length)
        {
            Grow(Math.Max(_bytes.Length * 2, _length + chunk.Length));
        }

        chunk.CopyTo(_bytes.AsSpan(_length));
        _length += chunk.Length;
    }

    /// <summary>Where the stored bytes end and the staged chunk begins.</summary>
    public long StoredEnd => Base + _length;

    /// <summary>The stored bytes [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public ReadOnlySpan<byte> Slice(long from, long to) => _bytes.AsSpan((int)(from - Base), (int)(to - from));

    /// <summary>The bytes [<paramref name="from"/>, <paramref name="to"/>), on one side of <see cref="StoredEnd"/>: stored, or of the <paramref name="staged"/> chunk.</summary>
    public ReadOnlySpan<byte> Slice(long from, long to, ReadOnlySpan<byte> staged)
    {
        var stored = Base + _length;
        return from >= stored ? staged.Slice((int)(from - stored), (int)(to - from)) : Slice(from, to);
    }

    /// <summary>The channel of the byte at <paramref name="offset"/>, and where its run of that channel ends.</summary>
    public (int Channel, long RunEnd) ChannelAt(long offset)
    {
        if (_runCount == 1)
        {
            return (_runChannels[0], End);
        }

        int lo = 0, hi = _runCount - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_runStarts[mid] <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return (_runChannels[lo], lo + 1 < _runCount ? _runStarts[lo + 1] : End);
    }

    /// <summary>Drops the bytes before <paramref name="keep"/>.</summary>
    public void Compact(long keep)
    {
        var drop = (int)(keep - Base);
        if (drop <= 0)
        {
            return;
        }

        _bytes.AsSpan(drop, _length - drop).CopyTo(_bytes);
        _length -= drop;
        Base = keep;
        DropRunsBefore(keep);
    }

    /// <summary>Gives the buffer back to the pool, cleared (it held unmasked output); nothing may be appended afterwards.</summary>
    public void Release()
    {
        if (_bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes, clearArray: true);
        }

        _bytes = [];
        Base += _length;
        _length = 0;
    }

    /// <summary>Forgets every stored byte, all of them before <paramref name="keep"/>, which becomes the base.</summary>
    private void DropBefore(long keep)
    {
        _length = 0;
        if (keep > Base)
        {
            Base = keep;
            DropRunsBefore(keep);
        }
    }

    private void DropRunsBefore(long keep)
    {
        var first = 0;
        while (first + 1 < _runCount && _runStarts[first + 1] <= keep)
        {
            first++;
        }

        if (first > 0)
        {
            _runStarts.AsSpan(first, _runCount - first).CopyTo(_runStarts);
            _runChannels.AsSpan(first, _runCount - first).CopyTo(_runChannels);
            _runCount -= first;
        }
    }

    private void Grow(int size)
    {
        var grown = ArrayPool<byte>.Shared.Rent(size);
        _bytes.AsSpan(0, _length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_bytes, clearArray: true);
        _bytes = grown;
    }
}
