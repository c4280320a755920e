using Broker.Masking.Text;

namespace Broker.Masking.Views;

/// <summary>The cursor and the row's cells: what each control does to them, as xterm does it.</summary>
internal sealed partial class ScreenView
{
    // A row is rebuilt from at most this much of the combined text (a longer line is followed in its last part).
    private const int RebuildLimit = 8192;

    /// <summary>Draws text at the cursor, wrapping at the terminal's width.</summary>
    private void Draw(ReadOnlySpan<byte> text, long rawOffset)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (_partialLength > 0)
            {
                if ((b & 0xC0) == 0x80)
                {
                    _partial |= (uint)b << (8 * _partialLength++);
                    if (_partialLength == _partialNeeded)
                    {
                        Put(_partial, _partialLength, _partialRaw);
                        _partialLength = 0;
                    }

                    continue;
                }

                Put(_partial, _partialLength, _partialRaw);
                _partialLength = 0;
            }

            if (b is >= 0x20 and < 0x7F && DrawRun(text[i..], rawOffset + i) is > 0 and var run)
            {
                i += run - 1;
                continue;
            }

            switch (b)
            {
                case (byte)'\n':
                    // The rest of this text is on a new row, drawn left to right: the combined text has it. (This text
                    // joins the combined text after the screen has seen it: the new row starts past this line feed.)
                    MoveToRow(CurrentRow() + 1, 0);
                    _anchorShadow = _shadow.End + i + 1;
                    _rowStart = _anchorShadow;
                    return;
                case (byte)'\t':
                    _column = Math.Min(LastColumn, ((Math.Min(_column, LastColumn) / TabWidth) + 1) * TabWidth);
                    break;
                case < 0x80:
                    Put(b, 1, rawOffset + i);
                    break;
                case >= 0xC0:
                    _partial = b;
                    _partialLength = 1;
                    _partialNeeded = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                    _partialRaw = rawOffset + i;
                    break;
                default:
                    // A stray continuation byte: drawn as the replacement character a terminal shows.
                    Put(b, 1, rawOffset + i);
                    break;
            }

            if (!_detailed)
            {
                return;
            }
        }
    }

    private void Put(uint character, int length, long raw)
    {
        var width = Width(character, length);
        var limit = _columns > 0 ? Math.Min(_columns, MaxColumns) : MaxColumns;
        if (_column + width > limit)
        {
            // The terminal wraps to the next row: this row is complete, the next one starts blank.
            FinishRow(toColumn: 0);
            EnterEmptyRow(0);
            _anchorRow++;
        }

        _row.Put(_column, character, length, raw);
        _lastCharacter = character;
        _lastLength = length;
        _lastRaw = raw;
        _column += width;
    }

    /// <summary>REP: the last character drawn, again and again (its bytes are those of the first drawing).</summary>
    private void Repeat(int count)
    {
        Materialize();
        if (_lastRaw < 0)
        {
            return;
        }

        for (var k = 0; k < Math.Min(count, MaxColumns); k++)
        {
            Put(_lastCharacter, _lastLength, _lastRaw);
        }
    }

    private void EraseInRow(int mode)
    {
        if (!_detailed && !_carriageReturn && mode == 0)
        {
            // Erasing right of the last character drawn left to right changes nothing.
            return;
        }

        if (_detailed && mode == 0)
        {
            // The end of a redraw's line (a progress bar's \e[K): the cells left undrawn stay so.
            ErasePending(_column);
            _row.Erase(_column, _row.Width);
            return;
        }

        Materialize();
        switch (mode)
        {
            case 0:
                _row.Erase(_column, _row.Width);
                break;
            case 1:
                _row.Erase(0, _column + 1);
                break;
            default:
                _row.Erase(0, _row.Width);
                break;
        }
    }

    private void MoveToColumn(int column)
    {
        Materialize();
        _column = Math.Clamp(column, 0, LastColumn);
    }

    /// <summary>The cursor leaves the row (or the screen scrolls): the row is decided and a new one begins.</summary>
    private void MoveToRow(int row, int column)
    {
        FinishRow(column);
        if (_rows > 0)
        {
            row = Math.Clamp(row, 0, _rows - 1);
        }

        _anchorRow = Math.Max(0, row);
        _anchorShadow = _shadow.End;
        if (column > 0)
        {
            EnterEmptyRow(Math.Min(column, LastColumn));
        }
    }

    /// <summary>Scans the row a last time as it stands and forgets it.</summary>
    private void FinishRow(int toColumn)
    {
        if (_detailed && RowWidth > 0)
        {
            Scan(final: true);
        }

        _row.Clear();
        DropPending();
        _held.Clear();
        _operations.Clear();
        StopRedraw();
        _detailed = false;
        _carriageReturn = false;
        _column = toColumn;
        _rowStart = _shadow.End;
        _rowGeneration++;
    }

    /// <summary>A row whose earlier content is not known (another program's, or blank) with the cursor at <paramref name="column"/>.</summary>
    private void EnterEmptyRow(int column)
    {
        _detailed = true;
        _column = column;
    }

    /// <summary>
    /// Builds the row's cells from the combined text: everything since the row began was drawn left to right,
    /// so the text is the row (wrapped at the terminal's width). The cursor is at its end, or at the start
    /// after a carriage return.
    /// </summary>
    private void Materialize()
    {
        if (_detailed)
        {
            Settle();
            return;
        }

        _detailed = true;
        var start = RowStart();
        var column = 0;
        var bytes = _shadow.Bytes;
        var limit = _columns > 0 ? Math.Min(_columns, MaxColumns) : MaxColumns;
        var p = start;
        while (p < _shadow.End)
        {
            var at = (int)(p - _shadow.Base);
            var b = bytes[at];
            var length = b < 0xC0 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            length = Math.Min(length, (int)(_shadow.End - p));
            if (b == (byte)'\t')
            {
                column = Math.Min(limit - 1, ((column / TabWidth) + 1) * TabWidth);
                p++;
                continue;
            }

            uint character = 0;
            for (var k = 0; k < length; k++)
            {
                character |= (uint)bytes[at + k] << (8 * k);
            }

            var width = Width(character, length);
            if (column + width > limit)
            {
                _row.Clear();
                column = 0;
            }

            _lastRaw = _shadow.RawOf(p);
            _lastCharacter = character;
            _lastLength = length;
            _row.Put(column, character, length, _lastRaw);
            column += width;
            p += length;
        }

        _row.Dirty = false;
        _column = _carriageReturn ? 0 : column;
        _carriageReturn = false;
    }

    /// <summary>Where the current row begins in the combined text: after the last line feed, or where the cursor last came to it.</summary>
    private long RowStart()
    {
        var end = _shadow.End;
        if (end > _shadow.Base && _shadow.Bytes[^1] == (byte)'\n')
        {
            // The text so far ends a line (a CR LF before a progress line's first redraw): the row is empty.
            return end;
        }

        var floor = Math.Max(_shadow.Base, Math.Max(_rowStart, _shadow.End - RebuildLimit));
        var tail = _shadow.Bytes[(int)(floor - _shadow.Base)..];
        var newline = tail.LastIndexOf((byte)'\n');
        return newline < 0 ? floor : floor + newline + 1;
    }

    /// <summary>
    /// Before the combined text is compacted (<see cref="KeepFrom"/>): the line feeds since the last absolute position are
    /// counted now and the position moved to the text's end, so the cursor's row stays known however far the text before
    /// it is dropped. Counting in two parts gives the same row: the row is clamped to the screen at each step, and a row
    /// clamped to the bottom stays there. Without it, 32 KiB of output after the last cursor position made the row unknown,
    /// and a cursor move to the bottom row was taken for a move to another row, which forgot what the row showed.
    /// </summary>
    private void CountRows()
    {
        if (_anchorShadow >= _shadow.Base && _anchorShadow < _shadow.End)
        {
            _anchorRow = CurrentRow();
            _anchorShadow = _shadow.End;
        }
    }

    /// <summary>The cursor's row: the last absolute position plus the line feeds since (unknown rows, before a compaction that did not count them, count as a new row).</summary>
    private int CurrentRow()
    {
        if (_anchorShadow < _shadow.Base)
        {
            return _anchorRow + RebuildLimit;
        }

        if (_rows > 0 && _anchorRow >= _rows - 1)
        {
            // On the bottom row a line feed scrolls and the cursor stays (min(a + f, R) = R for a ≥ R): nothing to count.
            // A bulk `cat` is there after a screenful, so the line feeds of its output are never counted (CountRows).
            return _rows - 1;
        }

        var feeds = _shadow.Bytes[(int)(_anchorShadow - _shadow.Base)..].Count((byte)'\n');
        var row = _anchorRow + feeds;
        return _rows > 0 ? Math.Min(row, _rows - 1) : row;
    }

    private int Column()
    {
        Materialize();
        return _column;
    }

    private void Save() => _saved = new Saved(CurrentRow(), Column(), _shadow.End, _rowGeneration);

    private void Restore()
    {
        if (_saved is not { } saved)
        {
            MoveToRow(0, 0);
            return;
        }

        if (saved.Generation == _rowGeneration)
        {
            MoveToColumn(saved.Column);
        }
        else
        {
            MoveToRow(saved.Row, saved.Column);
        }
    }

    /// <summary>Cells a character takes: two for East Asian wide characters and emoji, one otherwise.</summary>
    private static int Width(uint character, int length)
    {
        if (length < 3)
        {
            return 1;
        }

        var b0 = character & 0xFF;
        var b1 = (character >> 8) & 0x3F;
        var b2 = (character >> 16) & 0x3F;
        var codePoint = length == 3
            ? ((b0 & 0x0F) << 12) | (b1 << 6) | b2
            : ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | ((character >> 24) & 0x3F);
        return codePoint is (>= 0x1100 and <= 0x115F) or (>= 0x2E80 and <= 0xA4CF and not 0x303F) or (>= 0xAC00 and <= 0xD7A3) or
            (>= 0xF900 and <= 0xFAFF) or (>= 0xFE30 and <= 0xFE4F) or (>= 0xFF00 and <= 0xFF60) or (>= 0xFFE0 and <= 0xFFE6) or
            (>= 0x1F300 and <= 0x1F64F) or (>= 0x1F900 and <= 0x1F9FF) or (>= 0x20000 and <= 0x3FFFD) ? 2 : 1;
    }
}
