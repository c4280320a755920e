using System.Runtime.CompilerServices;

namespace Broker.Masking.Views;

/// <summary>
/// A redraw that replaces the whole row: a carriage return, printable ASCII from column 0 and an erase to the end of the
/// row (<c>\rDownloading: 50% [#####     ]\e[K</c>), on a row already followed cell by cell. It is most of a progress
/// line's cost, so the bookkeeping of the earlier redraws' undrawn columns is done here in one step.
/// </summary>
/// <remarks>
/// <para>
/// Event by event, the carriage return keeps the current redraw's undrawn columns as a piece (<see cref="KeepPending"/>,
/// after trimming the earlier pieces to the columns right of it) and the erase then trims every piece to the columns
/// left of the new text's end (<see cref="ErasePending"/>). When every earlier piece lies within the current redraw's
/// columns (<see cref="EarlierRedrawsCovered"/>: always the case after a whole-row redraw, which trims them all to its
/// own width), the carriage return drops them all and the erase leaves at most the one new piece, cut at the new text's
/// end. <see cref="ReplaceRow"/> writes that outcome directly.
/// </para>
/// <para>
/// The row's state afterwards is field for field what the separate events leave, the undrawn pieces included, rather
/// than the pieces being forgotten outright (the whole row is drawn over, so they can never show). That is deliberate:
/// the pieces decide <see cref="KeepFrom"/>, where the combined text may be compacted from. Forgetting the previous
/// redraw's piece would let a push that ends right after the second redraw of a row compact past the row's start, which
/// the separate events keep (the first redraw of a progress line starts exactly there). Before <see cref="CountRows"/>,
/// compacting past the last absolute cursor position made <see cref="CurrentRow"/> answer "unknown row", and a cursor
/// movement in the next push was then judged against another row; now the row is counted first, but with the same pieces
/// the same compaction points follow anyway, so nothing downstream of them can differ from the separate events.
/// <c>WholeRowRedrawTests</c> checks it after every push, across a compaction at a row's start.
/// </para>
/// <para>
/// The edits since the last scan are read only for a match or a candidate whose cells are all released, and then only
/// those not released yet (<see cref="MaskOperations"/>, <see cref="Decide"/>). After a whole-row redraw with text, every
/// cell of the row until it ends is drawn by a byte after its carriage return: the text covers the columns the earlier
/// pieces had (they are drawn under it, never over it), the rest is erased, and what is drawn later comes later (a
/// repeat repeats the redraw's last character or a later one). So whenever an edit is read, the carriage return and every
/// edit before it are released, and <see cref="ReplaceRow"/> forgets them rather than keeping the carriage return. An
/// empty redraw keeps it: a repeat after it draws an older character.
/// </para>
/// </remarks>
internal sealed partial class ScreenView
{
    /// <summary>Whether every earlier redraw's undrawn piece lies within the current redraw's columns (so the next carriage return drops them all).</summary>
    // This test, the next one and ReplaceRow run for nearly every redraw of a progress line: inlined into TryRedraw (the
    // JIT left them as calls).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EarlierRedrawsCovered() =>
        _pendingCount == 0 ||
        (_pendingCount == 1 && _redrawFrom >= 0 && _drawnColumns < _redrawColumns && _pending[0].To <= _redrawColumns);

    /// <summary>
    /// Whether a whole-row redraw of <paramref name="text"/> is the first thing on a row left empty by a line feed, no redraw
    /// under way (a progress line's first step, right after the CR LF before it). Event by event, the carriage return starts
    /// a redraw that keeps nothing (<see cref="KeepPending"/>), <see cref="Materialize"/> makes the row detailed from its
    /// empty text (no cell, the cursor at column 0), and the text and the erase then do what they do on a detailed row:
    /// exactly <see cref="ReplaceRow"/> on the row made detailed. Empty text is left to the events (there the row stays
    /// unchanged, which <see cref="ReplaceRow"/> does not write).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool StartsEmptyRow(ReadOnlySpan<byte> text) =>
        !text.IsEmpty && !_carriageReturn && _redrawFrom < 0 && _pendingCount == 0 && _row.Width == 0 &&
        _shadow.End > _shadow.Base && _shadow.Bytes[^1] == (byte)'\n';

    /// <summary>
    /// <see cref="Control"/> (a carriage return), <see cref="Visible"/> (printable ASCII that fits the row, left undrawn)
    /// and <see cref="Csi"/> (erase to the end) on a detailed row whose earlier pieces are covered, in one step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReplaceRow(long carriageReturn, ReadOnlySpan<byte> text)
    {
        var n = text.Length;
        if (n == 0)
        {
            _operations.Add(carriageReturn, carriageReturn + 1);
            // Read only while nothing of the new redraw is drawn (StartRedraw).
            _redrawShown = IsCleanRedraw();
        }

        // KeepPending, then ErasePending(n): the earlier pieces are dropped (each ends within the current redraw's columns,
        // which the trim starts them at), and the current redraw's undrawn columns stay as far as the new text reaches.
        if (_redrawFrom >= 0 && _drawnColumns < _redrawColumns)
        {
            var to = Math.Min(_redrawColumns, n);
            _pending[0] = new Pending(_redrawFrom, _drawnColumns, to);
            _pendingCount = _drawnColumns < to ? 1 : 0;
        }

        // StartRedraw, and the text drawn lazily from column 0 (TryRedraw's general case).
        var end = _shadow.End;
        var before = end > _shadow.Base ? _shadow.Bytes[^1] : end == 0 ? (byte)'\n' : (byte)0;
        _redrawFrom = end;
        _redrawColumns = n;
        _drawnColumns = 0;
        _redrawBounded = before is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)']' || (n > 0 && text[0] == (byte)' ');
        _column = n;
        if (n > 0)
        {
            _row.Dirty = true;
            _lastCharacter = text[n - 1];
            _lastLength = 1;
            _lastRaw = carriageReturn + n;
        }

        var erase = carriageReturn + 1 + n;
        if (n == 0)
        {
            _operations.Add(erase, erase + 3);
        }
        else
        {
            // Every cell of the row from here on is drawn by a byte after the carriage return (see the remarks on edits
            // above), so the carriage return and every edit before it are released before any edit is ever read: only the
            // erase is kept.
            _operations.Only(erase, erase + 3);
        }

        _row.Erase(n, _row.Width);
    }
}
