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

    /// <summary>Absolute offset of the first byte kept.</summary>
    public long Base { get; private set; }

    public long End => Base + _length;

    /// <summary>Whether every byte so far came from one channel.</summary>
    public bool SingleChannel { get; private set; } = true;

    /// <summary>Appends <paramref name="chunk"/> from <paramref name="channel"/>; returns the absolute offset of its first byte.</summary>
    public long Append(int channel, ReadOnlySpan<byte> chunk)
    {
        var start = End;
        if (_length + chunk.Length > _bytes.Length)
        {
            Grow(Math.Max(_bytes.Length * 2, _length + chunk.Length));
        }

        chunk.CopyTo(_bytes.AsSpan(_length));
        _length += chunk.Length;
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

    public ReadOnlySpan<byte> Slice(long from, long to) => _bytes.AsSpan((int)(from - Base), (int)(to - from));

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

    private void Grow(int size)
    {
        var grown = ArrayPool<byte>.Shared.Rent(size);
        _bytes.AsSpan(0, _length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_bytes, clearArray: true);
        _bytes = grown;
    }
}
