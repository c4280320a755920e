namespace Broker.Masking.Views;

/// <summary>The bytes that drew the row's cells: masking those not yet released, and finding what of a held candidate is still out.</summary>
internal sealed partial class ScreenView
{
    /// <summary>Masks the bytes that drew columns [<paramref name="from"/>, <paramref name="to"/>) and are not yet released; false when there are none.</summary>
    private bool MaskCells(int from, int to, string name)
    {
        _cells.Clear();
        for (var c = from; c < to; c++)
        {
            var (_, length, raw) = _row.At(c);
            if (length > 0 && raw >= _released)
            {
                _cells.Add((raw, length));
            }
        }

        _cells.Sort();
        var silent = false;
        var i = 0;
        while (i < _cells.Count)
        {
            var start = _cells[i].Raw;
            var end = start + _cells[i].Length;
            while (++i < _cells.Count && _cells[i].Raw <= end)
            {
                end = Math.Max(end, _cells[i].Raw + _cells[i].Length);
            }

            // One region: the first piece carries the marker, the pieces drawn elsewhere in the stream go silently.
            _plan.Add(start, end, name, silent);
            silent = true;
        }

        return silent;
    }

    /// <summary>Masks the edits since the last scan that are not yet released, so the terminal never performs them.</summary>
    private void MaskOperations(string name)
    {
        var silent = false;
        foreach (var (start, end) in _operations.Span)
        {
            if (start >= _released)
            {
                _plan.Add(start, end, name, silent);
                silent = true;
            }
        }
    }

    private long FirstUnreleased(int from)
    {
        var first = long.MaxValue;
        for (var c = from; c < _row.Width; c++)
        {
            var (_, length, raw) = _row.At(c);
            if (length > 0 && raw >= _released)
            {
                first = Math.Min(first, raw);
            }
        }

        return first;
    }

    private int TextLength(int from)
    {
        var n = 0;
        for (var c = from; c < _row.Width; c++)
        {
            n += Math.Max(1, _row.At(c).Length);
        }

        return n;
    }
}
