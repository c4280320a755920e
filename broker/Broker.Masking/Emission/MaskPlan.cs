namespace Broker.Masking.Emission;

/// <summary>
/// Raw byte ranges decided to be masked but not yet written out, merged where they overlap, in order. Every
/// view of the output adds to it; the masker writes them out as the release point passes them.
/// </summary>
internal sealed class MaskPlan
{
    private readonly List<MaskInterval> _intervals = [];

    public int Count => _intervals.Count;

    public MaskInterval this[int index] => _intervals[index];

    /// <summary>
    /// Masks raw [<paramref name="start"/>, <paramref name="end"/>) as <paramref name="name"/>. A <paramref name="silent"/>
    /// range continues a region whose marker was already written (a latched block going on) and never writes one.
    /// </summary>
    public void Add(long start, long end, string name, bool silent)
    {
        if (end <= start)
        {
            return;
        }

        var added = new MaskInterval(start, end, name, end - start, silent);
        var i = FirstEndingAfter(start);

        // Overlapping ranges become one region, named after the longest (masking less could show part of one of them).
        while (i < _intervals.Count && _intervals[i].Start < added.End && _intervals[i].End > added.Start)
        {
            var other = _intervals[i];
            _intervals.RemoveAt(i);
            added = new MaskInterval(
                Math.Min(other.Start, added.Start),
                Math.Max(other.End, added.End),
                other.Length >= added.Length ? other.Name : added.Name,
                Math.Max(other.Length, added.Length),
                other.Silent && added.Silent);
        }

        _intervals.Insert(i, added);
    }

    /// <summary>
    /// Masks the bytes of <paramref name="channel"/> in raw [<paramref name="start"/>, <paramref name="end"/>): a secret one
    /// channel's own text holds is masked there, and what the other channels wrote in between stays.
    /// </summary>
    public void Add(long start, long end, string name, bool silent, int channel, Text.RawLog raw)
    {
        var from = Math.Max(start, raw.Base);
        while (from < end)
        {
            var (owner, runEnd) = raw.ChannelAt(from);
            var to = Math.Min(end, runEnd);
            if (owner == channel)
            {
                Add(from, to, name, silent);
                silent = true;
            }

            from = to;
        }
    }

    /// <summary>Forgets ranges that end at or before <paramref name="released"/>.</summary>
    public void DropBefore(long released)
    {
        var n = FirstEndingAfter(released);
        if (n > 0)
        {
            _intervals.RemoveRange(0, n);
        }
    }

    /// <summary>
    /// The index of the first range that ends after <paramref name="offset"/> (<see cref="Count"/> when none). The ranges
    /// are disjoint and in order, so their ends are too: a binary search, where a walk from the front made secret-dense
    /// output quadratic in the regions of one large push.
    /// </summary>
    public int FirstEndingAfter(long offset)
    {
        int lo = 0, hi = _intervals.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (_intervals[mid].End <= offset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}

/// <summary>One pending masked range; <see cref="Length"/> is the longest single match merged into it (it names the region).</summary>
internal readonly record struct MaskInterval(long Start, long End, string Name, long Length, bool Silent);
