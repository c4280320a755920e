namespace Broker.Masking.Views;

/// <summary>
/// A row redrawn in place after a carriage return (a progress line) that the combined text already reads as it shows:
/// such a row is not scanned again.
/// </summary>
/// <remarks>
/// A row is a clean redraw when, since its last carriage return, it was drawn from column 0 left to right in printable
/// ASCII without wrapping, with nothing but colours and erasing to the end of the row in between, and nothing is left
/// right of the drawn text (or nothing was drawn since a carriage return that came to a clean redraw: <c>\r\n</c> after
/// a progress line). Its text is then exactly one stretch of the combined text, which the combined view scans.
/// The built-in detectors judge that stretch the same there as alone on the row when the combined text has a blank or
/// <c>]</c> just before it (or the stretch starts with a blank): none of them reads such a character as part of a
/// secret or as a reason to reject one, so it stands for the row's start. After it, the combined text has the line
/// feed that ends the row, or nothing yet (the row is scanned at the end of a push, where the combined text ends too).
/// A row that only the screen can show whole (glued to the previous redraw's last letter, drawn out of order, wrapped)
/// is scanned as before; so is every row when custom detectors, whose patterns may read any context, are configured.
/// </remarks>
internal sealed partial class ScreenView
{
    // Earlier redraws kept undrawn at most; more are drawn into the row (a row redrawn shorter and shorter without erasing).
    private const int MaxPending = 4;

    // Where the redraw since the last carriage return starts in the combined text; -1 when the row is not a clean redraw.
    private long _redrawFrom = -1;
    private int _redrawColumns;
    private bool _redrawBounded;
    // Whether the row was a clean redraw when the carriage return came: until something is drawn, it still is.
    private bool _redrawShown;
    // The current redraw's columns already in the row's cells; those from here to _redrawColumns are drawn lazily.
    private int _drawnColumns;
    // Earlier redraws' columns not yet in the row's cells (disjoint, all hidden by nothing drawn since).
    private readonly Pending[] _pending = new Pending[MaxPending];
    private int _pendingCount;

    /// <summary>
    /// What a row drawn left to right (not <c>_detailed</c>) guarantees, which <see cref="Visible"/> and <see cref="LineEnd"/>
    /// rely on rather than test: no earlier redraw's cells are left undrawn, nor the current one's, and a redraw is under way
    /// only after a carriage return. Checked by tests after every event; see the remarks for why it holds.
    /// </summary>
    /// <remarks>
    /// Pieces are kept (<see cref="KeepPending"/>) only of a redraw with undrawn columns, and a redraw has columns only once
    /// its text was drawn on a detailed row: text after a carriage return on a row drawn left to right makes the row detailed
    /// first (<see cref="Follow"/>, <see cref="TryRedraw"/>: <see cref="Materialize"/>). A redraw that stops
    /// (<see cref="StopRedraw"/>) draws its cells first; a row that stops being detailed (<see cref="FinishRow"/>,
    /// <see cref="EndCleanRow"/>) drops them. A redraw starts (<see cref="StartRedraw"/>) at a carriage return, which on a row
    /// drawn left to right sets <c>_carriageReturn</c>; whatever clears it (a line feed, <see cref="LineEnd"/>, a new row)
    /// stops the redraw too, and <see cref="Materialize"/>, which also clears it, makes the row detailed.
    /// </remarks>
    internal bool LeftToRightHolds =>
        _detailed || (_pendingCount == 0 && _drawnColumns >= _redrawColumns && (_carriageReturn || _redrawFrom < 0));

    /// <summary>Whether the row is drawn left to right (not followed cell by cell): for tests.</summary>
    internal bool DrawnLeftToRight => !_detailed;

    /// <summary>How many times a row was scanned (a clean redraw is not): for tests and measurements.</summary>
    public int RowScans { get; private set; }

    /// <summary>A carriage return: a redraw may begin here. With <paramref name="drawing"/>, text is drawn from column 0 right after it.</summary>
    private void StartRedraw(bool drawing = false)
    {
        // Whether the row still shows clean is read only while nothing of the new redraw is drawn (IsCleanRedraw).
        if (!drawing)
        {
            _redrawShown = IsCleanRedraw();
        }

        KeepPending();
        _redrawFrom = _shadow.End;
        _redrawColumns = 0;
        _drawnColumns = 0;
        var before = _shadow.End > _shadow.Base ? _shadow.Bytes[^1] : _shadow.End == 0 ? (byte)'\n' : (byte)0;
        _redrawBounded = before is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)']';
    }

    /// <summary>Anything but drawing, colours and erasing to the end: the row is no longer a clean redraw.</summary>
    private void StopRedraw()
    {
        Settle();
        _redrawFrom = -1;
    }

    /// <summary>Text about to be drawn at the cursor (up to a line feed, which ends the row).</summary>
    private void FollowRedraw(ReadOnlySpan<byte> text)
    {
        if (_redrawFrom < 0)
        {
            return;
        }

        // One pass: the text up to the first byte that is not printable ASCII is drawn, and that byte must be the line feed.
        var stop = text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
        var drawn = stop < 0 ? text : text[..stop];
        if (_partialLength > 0 || _column != _redrawColumns || (stop >= 0 && text[stop] != (byte)'\n') ||
            _redrawColumns + drawn.Length >= LastColumn)
        {
            StopRedraw();
            return;
        }

        if (_redrawColumns == 0 && !drawn.IsEmpty && drawn[0] == (byte)' ')
        {
            _redrawBounded = true;
        }

        _redrawColumns += drawn.Length;
    }

    /// <summary>Whether the row is a clean redraw the combined view reads as it shows (see the type's remarks).</summary>
    private bool IsCleanRedraw() =>
        _redrawFrom >= 0 && !_profile.HasCustomDetectors &&
        (RowWidth == 0 || (_redrawColumns > 0 ? _redrawBounded && RowWidth <= _redrawColumns : _redrawShown));

    /// <summary>The row's width with the cells not yet drawn (<see cref="ScreenRow.Width"/> once they are).</summary>
    private int RowWidth
    {
        get
        {
            var width = _redrawFrom >= 0 && _drawnColumns < _redrawColumns ? Math.Max(_row.Width, _redrawColumns) : _row.Width;
            for (var i = 0; i < _pendingCount; i++)
            {
                width = Math.Max(width, _pending[i].To);
            }

            return width;
        }
    }

    /// <summary>
    /// Draws the printable ASCII that <paramref name="text"/> starts with in one pass when it fits on the row (a progress
    /// line redrawn over and over is mostly that); returns how many bytes it drew, 0 when it left them to <see cref="Put"/>.
    /// </summary>
    private int DrawRun(ReadOnlySpan<byte> text, long raw)
    {
        var n = text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
        n = n < 0 ? text.Length : n;
        var limit = _columns > 0 ? Math.Min(_columns, MaxColumns) : MaxColumns;
        if (n < 2 || _column + n > limit)
        {
            return 0;
        }

        _row.PutRun(_column, text[..n], raw);
        _lastCharacter = text[n - 1];
        _lastLength = 1;
        _lastRaw = raw + n - 1;
        _column += n;
        return n;
    }

    /// <summary>
    /// Text of a clean redraw that reaches no line feed: the cursor moves on and the cells are left to <see cref="Settle"/>
    /// (most redraws are only ever judged clean and dropped, so their cells are never needed). Returns false when the text
    /// is to be drawn now: it ends the row, or the cells are drawn eagerly (<see cref="MaskerOptions.EagerRedrawCells"/>).
    /// </summary>
    private bool DrawLazily(ReadOnlySpan<byte> text, long rawOffset, int columnsBefore)
    {
        if (_redrawFrom < 0)
        {
            return false;
        }

        var drawn = _redrawColumns - columnsBefore;
        if (_eagerCells || drawn < text.Length)
        {
            // The row ends within this text (or cells are not left undrawn): what was drawn lazily goes into the cells now,
            // except for a bare line feed (a progress line's last \r\n), which leaves the row to be judged as it is.
            if (drawn > 0)
            {
                Settle(columnsBefore);
                _drawnColumns = _redrawColumns;
            }

            return false;
        }

        _column += drawn;
        if (drawn > 0)
        {
            _row.Dirty = true;
            _lastCharacter = text[^1];
            _lastLength = 1;
            _lastRaw = rawOffset + text.Length - 1;
        }

        return true;
    }

    /// <summary>A carriage return starts a new redraw over the current one: what the current one left undrawn is kept.</summary>
    private void KeepPending()
    {
        if (_redrawFrom < 0 || _drawnColumns >= _redrawColumns)
        {
            return;
        }

        // The current redraw covers columns [0, _redrawColumns): the earlier pieces show only right of it.
        var kept = 0;
        for (var i = 0; i < _pendingCount; i++)
        {
            var piece = _pending[i] with { From = Math.Max(_pending[i].From, _redrawColumns) };
            if (piece.From < piece.To)
            {
                _pending[kept++] = piece;
            }
        }

        _pendingCount = kept;
        if (_pendingCount == MaxPending)
        {
            Settle();
            return;
        }

        _pending[_pendingCount++] = new Pending(_redrawFrom, _drawnColumns, _redrawColumns);
        _drawnColumns = _redrawColumns;
    }

    /// <summary>Erasing right of the cursor (at the end of the current redraw) also erases what is undrawn there.</summary>
    private void ErasePending(int from)
    {
        var kept = 0;
        for (var i = 0; i < _pendingCount; i++)
        {
            var piece = _pending[i] with { To = Math.Min(_pending[i].To, from) };
            if (piece.From < piece.To)
            {
                _pending[kept++] = piece;
            }
        }

        _pendingCount = kept;
    }

    /// <summary>Draws every cell left undrawn into the row (the current redraw's up to <paramref name="currentTo"/>), older first.</summary>
    private void Settle(int currentTo = int.MaxValue)
    {
        if (_pendingCount == 0 && (_redrawFrom < 0 || _drawnColumns >= _redrawColumns))
        {
            return;
        }

        // Drawing them now changes nothing the detectors have not been told: the row was marked changed when they were drawn.
        var dirty = _row.Dirty;
        for (var i = 0; i < _pendingCount; i++)
        {
            DrawFromText(_pending[i].Origin, _pending[i].From, _pending[i].To);
        }

        _pendingCount = 0;
        if (_redrawFrom >= 0)
        {
            var to = Math.Min(currentTo, _redrawColumns);
            DrawFromText(_redrawFrom, _drawnColumns, to);
            _drawnColumns = Math.Max(_drawnColumns, to);
        }

        _row.Dirty = dirty;
    }

    /// <summary>Forgets the cells left undrawn (the row is cleared).</summary>
    private void DropPending()
    {
        _pendingCount = 0;
        _drawnColumns = _redrawColumns;
    }

    /// <summary>Where the combined text must be kept from for the cells left undrawn (<see cref="long.MaxValue"/>: none).</summary>
    private long PendingFrom()
    {
        var from = _redrawFrom >= 0 && _drawnColumns < _redrawColumns ? _redrawFrom + _drawnColumns : long.MaxValue;
        for (var i = 0; i < _pendingCount; i++)
        {
            from = Math.Min(from, _pending[i].Origin + _pending[i].From);
        }

        return from;
    }

    /// <summary>Draws columns [<paramref name="from"/>, <paramref name="to"/>) of a redraw whose column 0 is combined-text position <paramref name="origin"/>.</summary>
    private void DrawFromText(long origin, int from, int to)
    {
        var c = from;
        while (c < to)
        {
            var (raw, length) = _shadow.RunAt(origin + c, origin + to);
            _row.PutRun(c, _shadow.Bytes.Slice((int)(origin + c - _shadow.Base), length), raw);
            c += length;
        }
    }

    /// <summary>Columns [<see cref="From"/>, <see cref="To"/>) of a redraw whose column c is combined-text position <see cref="Origin"/> + c.</summary>
    private readonly record struct Pending(long Origin, int From, int To);
}
