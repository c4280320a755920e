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
    // Where the redraw since the last carriage return starts in the combined text; -1 when the row is not a clean redraw.
    private long _redrawFrom = -1;
    private int _redrawColumns;
    private bool _redrawBounded;
    // Whether the row was a clean redraw when the carriage return came: until something is drawn, it still is.
    private bool _redrawShown;

    /// <summary>How many times a row was scanned (a clean redraw is not): for tests and measurements.</summary>
    public int RowScans { get; private set; }

    /// <summary>A carriage return: a redraw may begin here.</summary>
    private void StartRedraw()
    {
        _redrawShown = IsCleanRedraw();
        _redrawFrom = _shadow.End;
        _redrawColumns = 0;
        var before = _shadow.End > _shadow.Base ? _shadow.Bytes[^1] : _shadow.End == 0 ? (byte)'\n' : (byte)0;
        _redrawBounded = before is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)']';
    }

    /// <summary>Anything but drawing, colours and erasing to the end: the row is no longer a clean redraw.</summary>
    private void StopRedraw() => _redrawFrom = -1;

    /// <summary>Text about to be drawn at the cursor (up to a line feed, which ends the row).</summary>
    private void FollowRedraw(ReadOnlySpan<byte> text)
    {
        if (_redrawFrom < 0)
        {
            return;
        }

        var lineFeed = text.IndexOf((byte)'\n');
        var drawn = lineFeed < 0 ? text : text[..lineFeed];
        if (_partialLength > 0 || _column != _redrawColumns || drawn.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0 ||
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
        (_row.Width == 0 || (_redrawColumns > 0 ? _redrawBounded && _row.Width <= _redrawColumns : _redrawShown));

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
}
