using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Broker.Masking.Views;

/// <summary>
/// A carriage return, the text after it and an erase to the end of the row, taken as one event (see
/// <see cref="Text.ITerminalSink.Redraw"/>): a progress line redraws itself with the three some 34,000 times per 4 MiB of a
/// bulk <c>cat</c> with progress bars, and every line of a PTY's output ends with CR LF. Each case below does exactly what
/// <see cref="Control"/>, <see cref="Visible"/> and <see cref="Csi"/> would do in turn, with the checks they would make
/// already known to hold; anything else is left to them (<see cref="TryRedraw"/> returns false before changing anything).
/// </summary>
internal sealed partial class ScreenView
{
    /// <summary>Takes a redraw as one event when it is a line end or printable ASCII drawn from column 0; false when it must go event by event.</summary>
    public bool TryRedraw(long carriageReturn, ReadOnlySpan<byte> text, bool eraseToEnd)
    {
        if (!text.IsEmpty && text[0] == (byte)'\n')
        {
            return !eraseToEnd && (_detailed ? RowEnd(carriageReturn) : LineEnd());
        }

        if (_partialLength > 0 || _eagerCells || text.Length >= LastColumn || (text.IsEmpty && !_detailed) || !IsPrintableAscii(text))
        {
            return false;
        }

        if (eraseToEnd && (_detailed ? EarlierRedrawsCovered() : StartsEmptyRow(text)))
        {
            if (!_detailed)
            {
                // The row is empty and every row before it decided: a cut redraw on it is held back to here at most.
                _judged = carriageReturn;
            }

            _detailed = true;
            ReplaceRow(carriageReturn, text);
            return true;
        }

        // Control: the carriage return is an edit, a redraw begins, the cursor goes to column 0.
        _operations.Add(carriageReturn, carriageReturn + 1);
        StartRedraw(drawing: !text.IsEmpty);
        if (_detailed)
        {
            _column = 0;
        }
        else
        {
            // Visible: text after a carriage return overwrites a row drawn left to right, which is rebuilt first.
            _carriageReturn = true;
            Materialize();
        }

        var n = text.Length;
        if (n > 0)
        {
            // Visible on a clean redraw that fits the row (FollowRedraw): the cells are left undrawn (DrawLazily).
            if (text[0] == (byte)' ')
            {
                _redrawBounded = true;
            }

            _redrawColumns = n;
            _column = n;
            _row.Dirty = true;
            _lastCharacter = text[n - 1];
            _lastLength = 1;
            _lastRaw = carriageReturn + n;
        }

        if (eraseToEnd)
        {
            // Csi: erasing right of the cursor keeps the redraw clean; the row is detailed (EraseInRow).
            var start = carriageReturn + 1 + n;
            _operations.Add(start, start + 3);
            ErasePending(_column);
            _row.Erase(_column, _row.Width);
        }

        return true;
    }

    /// <summary>CR LF on a row drawn left to right: the line feed ends the redraw the carriage return began.</summary>
    /// <remarks>
    /// The carriage return is not kept as an edit (<see cref="Control"/> keeps it): an edit is read only for a match or
    /// candidate whose cells are all released, and only if the edit is not (<see cref="MaskOperations"/>, <see cref="Decide"/>).
    /// Every cell the screen follows from here on is on a row that begins after the line feed (rows are never gone back to:
    /// moving to another row starts an empty one), so it was drawn by a byte after the carriage return; once such a cell is
    /// released, so is the carriage return. Nothing is held on a row drawn left to right, so no earlier candidate reads it.
    /// </remarks>
    private bool LineEnd()
    {
        // Such a row has no redraw cells left undrawn (LeftToRightHolds): the line feed only ends the redraw.
        _redrawFrom = -1;
        _redrawColumns = 0;
        _drawnColumns = 0;
        _carriageReturn = false;
        return true;
    }

    /// <summary>CR LF on a detailed row (a progress line's end): the line feed takes the cursor to the next row, which begins after it.</summary>
    private bool RowEnd(long carriageReturn)
    {
        if (_partialLength > 0 || LastColumn == 0)
        {
            return false;
        }

        if (IsCleanRedraw())
        {
            EndCleanRow();
            return true;
        }

        // Control, then Visible: the line feed draws nothing (FollowRedraw, DrawLazily) and moves to a new row (Draw).
        _operations.Add(carriageReturn, carriageReturn + 1);
        StartRedraw();
        _column = 0;
        MoveToRow(CurrentRow() + 1, 0);
        _anchorShadow = _shadow.End + 1;
        _rowStart = _anchorShadow;
        return true;
    }

    /// <summary>
    /// <see cref="RowEnd"/> on a row that shows a clean redraw: the carriage return keeps it clean, so the row is decided
    /// without a scan (<see cref="Scan"/>) and every cell, piece and edit of it is dropped (<see cref="FinishRow"/>); what is
    /// left is the move to the next row. The redraw fields the carriage return would set are read only while a redraw is
    /// under way (<c>_redrawFrom</c> ≥ 0), and the next one sets them again.
    /// </summary>
    /// <remarks>
    /// The move to the next row leaves the cursor's anchor (<c>_anchorRow</c>, <c>_anchorShadow</c>) where it is rather than
    /// counting the line feeds since it (<see cref="CurrentRow"/>, a pass over every line since the last anchor, once per
    /// progress line). The line feed joins the combined text right after this event, so a later <see cref="CurrentRow"/>
    /// counts it: with <c>R</c> the bottom row, min(min(a + f, R) + 1 + g, R) = min(a + f + 1 + g, R) for the rows
    /// <c>a</c> ≥ 0 and line feeds <c>f</c>, <c>g</c> before and after it, so every later row is the one the count here gave.
    /// The anchor is never compacted away meanwhile: <see cref="KeepFrom"/> counts up (<see cref="CountRows"/>) before
    /// every compaction.
    /// </remarks>
    private void EndCleanRow()
    {
        _row.Clear();
        _pendingCount = 0;
        _redrawFrom = -1;
        _redrawColumns = 0;
        _drawnColumns = 0;
        _held.Clear();
        _operations.Clear();
        _detailed = false;
        _carriageReturn = false;
        _column = 0;
        _rowGeneration++;
        _rowStart = _shadow.End + 1;
    }

    /// <summary>Whether every byte is printable ASCII (0x20–0x7E).</summary>
    private static bool IsPrintableAscii(ReadOnlySpan<byte> text)
    {
        if (Vector256.IsHardwareAccelerated && text.Length >= Vector256<byte>.Count)
        {
            // A progress line's redraw is 32–64 bytes: two blocks of 32 rather than three of 16.
            return IsPrintableAscii256(text);
        }

        if (!Vector128.IsHardwareAccelerated || text.Length < Vector128<byte>.Count)
        {
            return !text.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E);
        }

        // Bytes minus 0x20 above 0x5E (unsigned) are outside the range; the last block overlaps the one before it.
        ref var start = ref MemoryMarshal.GetReference(text);
        var low = Vector128.Create((byte)0x20);
        var span = Vector128.Create((byte)0x5E);
        var last = (nuint)(text.Length - Vector128<byte>.Count);
        for (nuint i = 0; i < last; i += (nuint)Vector128<byte>.Count)
        {
            if (Vector128.GreaterThanAny(Vector128.LoadUnsafe(ref start, i) - low, span))
            {
                return false;
            }
        }

        return !Vector128.GreaterThanAny(Vector128.LoadUnsafe(ref start, last) - low, span);
    }

    /// <summary><see cref="IsPrintableAscii"/> in blocks of 32 bytes, for text at least that long.</summary>
    private static bool IsPrintableAscii256(ReadOnlySpan<byte> text)
    {
        ref var start = ref MemoryMarshal.GetReference(text);
        var low = Vector256.Create((byte)0x20);
        var span = Vector256.Create((byte)0x5E);
        var last = (nuint)(text.Length - Vector256<byte>.Count);
        for (nuint i = 0; i < last; i += (nuint)Vector256<byte>.Count)
        {
            if (Vector256.GreaterThanAny(Vector256.LoadUnsafe(ref start, i) - low, span))
            {
                return false;
            }
        }

        return !Vector256.GreaterThanAny(Vector256.LoadUnsafe(ref start, last) - low, span);
    }
}
