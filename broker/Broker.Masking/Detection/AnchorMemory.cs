namespace Broker.Masking.Detection;

/// <summary>
/// Where the last anchored-head search of one stream (<see cref="AnchoredHeads"/>) found its first anchor that did
/// anything, in absolute shadow offsets. The next search must look at the anchors of the look-behind again (a head cut
/// by the last text's end, or one a detector left waiting, may now be whole), but not at those before that first one:
/// an anchor where nothing was offered had no head of its first two bytes and, where a detector wants a marker byte at
/// an offset, a different byte there. Both were already in the text, which never changes once appended, so the same
/// anchor does nothing again.
/// </summary>
internal sealed class AnchorMemory
{
    private long _coveredFrom = long.MaxValue;
    private long _end;
    private long _firstActive = long.MaxValue;

    /// <summary>
    /// Where to start looking at the anchors of text whose first byte is at <paramref name="origin"/>, when every anchor
    /// at or after <paramref name="lower"/> must be looked at.
    /// </summary>
    public int Start(long origin, int lower)
    {
        var lowerAbsolute = origin + lower;
        if (lowerAbsolute < _coveredFrom)
        {
            return lower;
        }

        return (int)(Math.Max(lowerAbsolute, Math.Min(_firstActive, _end)) - origin);
    }

    /// <summary>
    /// A search begins that accounts for every anchor of [<paramref name="lower"/>, <paramref name="length"/>): it looks
    /// at them, or they did nothing in a search before. Every anchor that does something is reported to <see cref="Active"/>.
    /// </summary>
    public void Begin(long origin, int lower, int length)
    {
        _coveredFrom = origin + lower;
        _end = origin + length;
        _firstActive = long.MaxValue;
    }

    public void Active(long origin, int anchor) => _firstActive = Math.Min(_firstActive, origin + anchor);

    /// <summary>The text was not appended to but replaced (a screen row): the next search looks at all of it.</summary>
    public void Forget() => _coveredFrom = long.MaxValue;
}
