using System.Runtime.InteropServices;

namespace Broker.Masking.Detection;

/// <summary>
/// Where the last needle search of one stream found needles, in absolute shadow offsets. The next search
/// must revisit the look-behind (a needle there may now lead to a match), but only from the first needle
/// the last search found in it: the shadow never changes once appended, so the needle-free stretch before
/// that needle, and everything up to the last search's end, need not be searched again.
/// </summary>
internal sealed class NeedleMemory
{
    private readonly List<long> _hits = [];
    private long _coveredFrom = long.MaxValue;
    private long _end;

    /// <summary>
    /// Where to start searching text whose first byte is at <paramref name="origin"/>, when the search must
    /// find every needle at or after <paramref name="lower"/>; needles up to <paramref name="longest"/> long.
    /// </summary>
    public int Start(long origin, int lower, int longest)
    {
        var lowerAbsolute = origin + lower;
        if (lowerAbsolute < _coveredFrom)
        {
            return lower;
        }

        // A needle that ran past the last search's end was not seen whole.
        var start = _end - longest + 1;
        foreach (var hit in CollectionsMarshal.AsSpan(_hits))
        {
            if (hit >= lowerAbsolute && hit < start)
            {
                start = hit;
            }
        }

        return (int)(Math.Max(lowerAbsolute, start) - origin);
    }

    /// <summary>A search of the text [<paramref name="lower"/>, <paramref name="length"/>) begins: every needle in it is reported to <see cref="Hit"/>.</summary>
    public void Begin(long origin, int lower, int length)
    {
        _coveredFrom = origin + lower;
        _end = origin + length;
        _hits.Clear();
    }

    public void Hit(long origin, int index) => _hits.Add(origin + index);

    /// <summary>The text changed in place (a screen row redrawn): the next search covers all of it.</summary>
    public void Forget()
    {
        _coveredFrom = long.MaxValue;
        _hits.Clear();
    }
}
