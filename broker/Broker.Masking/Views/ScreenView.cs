using System.Runtime.CompilerServices;
using Broker.Masking.Detection;
using Broker.Masking.Emission;
using Broker.Masking.Text;

namespace Broker.Masking.Views;

/// <summary>
/// The row of the terminal screen the cursor is on, as a terminal would draw it: cursor movement, carriage
/// returns, backspaces, erasing, inserting and deleting characters are followed, so a secret assembled on the
/// screen from pieces printed out of order (<c>\e[5GREST\rghp_</c>) is seen whole and the bytes that drew it
/// are masked (those not yet released: a piece already shown stays, but the secret is never complete on the screen).
/// A row drawn left to right is the combined text itself, which the linear view already reads: only a row the
/// cursor moved about in ("disturbed") is modelled cell by cell and scanned again as it changes. Moving to another
/// row ends the row; rows are not remembered (see docs/masking.md).
/// </summary>
internal sealed partial class ScreenView : IMaskView, ITerminalSink
{
    // Without a known width a row is cut here (no terminal is wider); a longer line is followed in its last part.
    private const int MaxColumns = 4096;
    private const int ShortestLeak = 4;
    private const int TabWidth = 8;

    private readonly MaskingProfile _profile;
    private readonly SecretRegistry _secrets;
    private readonly ShadowText _shadow;
    private readonly MaskPlan _plan;
    private readonly Findings _findings = new();
    private readonly List<Held> _held = [];
    private readonly ScreenRow _row;
    private readonly bool _eagerCells;
    private readonly List<(long Raw, int Length)> _cells = [];
    // The cursor movements and edits since the row was last scanned: when a secret appears on the screen and every
    // character of it is already out, masking the edit that brought the pieces together keeps it from happening.
    private readonly Edits _operations = new();
    private byte[] _text = new byte[512];
    private int[] _columnOf = new int[512];
    private int _columns;
    // The rightmost column the cursor can reach (LastColumn), kept with _columns: every redraw event compares against it.
    private int _lastColumn;
    private int _rows;
    private long _released;
    private bool _detailed;
    private int _column;
    private bool _carriageReturn;
    private long _rowStart;
    private int _rowGeneration;
    private int _anchorRow;
    private long _anchorShadow;
    private Saved? _saved;
    private uint _lastCharacter = ' ';
    private int _lastLength = 1;
    private long _lastRaw = -1;
    private uint _partial;
    private int _partialLength;
    private int _partialNeeded;
    private long _partialRaw;

    public ScreenView(MaskingProfile profile, SecretRegistry secrets, ShadowText shadow, MaskPlan plan, int columns, int rows, bool eagerCells = false)
    {
        _eagerCells = eagerCells;
        _profile = profile;
        _secrets = secrets;
        _shadow = shadow;
        _plan = plan;
        _columns = columns;
        _lastColumn = (columns > 0 ? Math.Min(columns, MaxColumns) : MaxColumns) - 1;
        _rows = rows;
        _row = new ScreenRow(columns > 0 ? Math.Min(columns, MaxColumns) : MaxColumns);
    }

    /// <summary>The terminal was resized: rows wrap at the new width from now on.</summary>
    public void Resize(int columns, int rows)
    {
        StopRedraw();
        FinishRow(toColumn: 0);
        _columns = columns;
        _lastColumn = (columns > 0 ? Math.Min(columns, MaxColumns) : MaxColumns) - 1;
        _rows = rows;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Visible(ReadOnlySpan<byte> text, long rawOffset)
    {
        // Text on a row drawn left to right, no carriage return before it: the combined text is the row (most of a bulk
        // `cat`'s text runs). This test is inlined into the parser's loop. On such a row no redraw is under way and no
        // cell is left undrawn (LeftToRightHolds), so StopRedraw, which Follow would call, changes nothing.
        if (!_detailed && !_carriageReturn)
        {
            return;
        }

        Follow(text, rawOffset);
    }

    /// <summary>Text at the cursor that may change the row's cells: the row drawn left to right until now is rebuilt first if the text overwrites it.</summary>
    private void Follow(ReadOnlySpan<byte> text, long rawOffset)
    {
        if (!_detailed)
        {
            if (!_carriageReturn)
            {
                StopRedraw();
                return;
            }

            // Text after a carriage return overwrites the row; a line feed right after it does not.
            if (text[0] == (byte)'\n')
            {
                _carriageReturn = false;
                StopRedraw();
                return;
            }

            Materialize();
        }

        var columnsBefore = _redrawColumns;
        FollowRedraw(text);
        if (DrawLazily(text, rawOffset, columnsBefore))
        {
            return;
        }

        Draw(text, rawOffset);
    }

    public void Control(byte control, long rawOffset)
    {
        _operations.Add(rawOffset, rawOffset + 1);
        if (control == (byte)'\r')
        {
            StartRedraw();
        }
        else
        {
            StopRedraw();
        }

        switch (control)
        {
            case (byte)'\r':
                if (_detailed)
                {
                    _column = 0;
                }
                else
                {
                    _carriageReturn = true;
                }

                break;
            case 0x08:
                Materialize();
                _column = Math.Max(0, Math.Min(_column, LastColumn) - 1);
                break;
            case 0x0B or 0x0C:
                MoveToRow(CurrentRow() + 1, 0);
                break;
        }
    }

    public void Escape(byte intermediate, byte final, long rawOffset)
    {
        _operations.Add(rawOffset, rawOffset + (intermediate != 0 ? 3 : 2));
        StopRedraw();
        if (intermediate != 0)
        {
            return;
        }

        switch (final)
        {
            case (byte)'7':
                Save();
                break;
            case (byte)'8':
                Restore();
                break;
            case (byte)'D':
                MoveToRow(CurrentRow() + 1, Column());
                break;
            case (byte)'E':
                MoveToRow(CurrentRow() + 1, 0);
                break;
            case (byte)'M':
                MoveToRow(CurrentRow() - 1, Column());
                break;
            case (byte)'c':
                MoveToRow(0, 0);
                break;
        }
    }

    public void StringStart(byte introducer, long rawOffset)
    {
    }

    public void StringBytes(ReadOnlySpan<byte> payload, long rawOffset)
    {
    }

    public void StringEnd(long rawOffset)
    {
    }

    public long Decide(MaskPlan plan, long rawEnd, bool final)
    {
        var pushed = rawEnd - _decidedTo;
        _decidedTo = rawEnd;
        if (!_detailed)
        {
            _judged = rawEnd;
            return rawEnd;
        }

        if (_row.Dirty && HoldsCutRedraw(pushed, rawEnd, final))
        {
            // The terminal goes on showing the state judged last (ScreenView.CutRedraw.cs).
            CutRedrawsHeld++;
            return Math.Max(_judged, _released);
        }

        if (_row.Dirty || final)
        {
            Scan(final);
        }

        if (_held.Count > 0)
        {
            Settle();
        }

        var frontier = rawEnd;
        foreach (var held in _held)
        {
            var first = FirstUnreleased(held.Column);
            if (first == long.MaxValue)
            {
                // Everything of it is out: what can still be held is the edits that may complete it.
                foreach (var (start, _) in _operations.Span)
                {
                    first = start >= _released ? Math.Min(first, start) : first;
                }
            }

            frontier = Math.Min(frontier, first);
        }

        _judged = frontier;
        return frontier;
    }

    public void Flush(MaskPlan plan, long rawEnd)
    {
        if (_detailed && _row.Dirty)
        {
            // A cut redraw held back unscanned (ScreenView.CutRedraw.cs): it goes out now, judged as the push's end would have.
            Scan(final: false);
        }

        Settle();
        foreach (var held in _held)
        {
            if (held.Distinctive && TextLength(held.Column) >= ShortestLeak)
            {
                MaskCells(held.Column, _row.Width, held.Name);
                return;
            }
        }
    }

    public bool Commit(MaskPlan plan, long rawEnd)
    {
        if (_held.Count == 0)
        {
            return false;
        }

        Settle();
        var first = _held.MinBy(h => h.Column);
        MaskCells(first.Column, _row.Width, first.Name);
        _held.Clear();
        return true;
    }

    public void Released(long rawReleased) => _released = rawReleased;

    public void Compact(long keepAtLeast)
    {
        // A released edit is never masked nor waited for (MaskOperations, Decide): dropping them keeps a long row drawn
        // without cursor movement (a coloured `cat`: one SGR after another, never a row change) from growing the list.
        _operations.DropBefore(_released);
    }

    public void Release()
    {
    }

    /// <summary>
    /// Where the combined text must be kept from: the current row is rebuilt from it when the cursor moves about, and cells of
    /// a redraw not yet drawn are drawn from it. The rows are counted every time (<see cref="CountRows"/>); the bound itself (a
    /// search back for the row's start) only when the combined text may be <paramref name="compacting"/> now, else none.
    /// </summary>
    public long KeepFrom(bool compacting = true)
    {
        CountRows();
        return !compacting ? long.MaxValue : _detailed ? PendingFrom() : RowStart();
    }

    /// <summary>The end of the stream: the row is decided as it stands.</summary>
    public void Finish() => FinishRow(toColumn: 0);

    private int LastColumn => _lastColumn;

    private void Scan(bool final)
    {
        if (IsCleanRedraw())
        {
            // The combined view reads this row's text as it shows and decides it (see ScreenView.Redraw.cs).
            _row.Dirty = false;
            _held.Clear();
            _operations.Clear();
            return;
        }

        Settle();
        RowScans++;
        // A row of one-byte cells (a progress line, nearly every row) is its own text, byte k in column k: nothing to render.
        var ascii = _row.Ascii;
        ReadOnlySpan<byte> bytes;
        if (ascii.IsEmpty)
        {
            EnsureBuffers((_row.Width * 4) + 4);
            bytes = _text.AsSpan(0, _row.Render(_text, _columnOf));
        }
        else
        {
            bytes = ascii;
        }

        _findings.Reset(0, 0);
        _findings.Needles.Forget();
        _profile.Scan(new ScanText(bytes, 0, final), _secrets.Snapshot, _findings);
        _row.Dirty = false;
        _held.Clear();
        var rendered = ascii.IsEmpty;
        foreach (var match in _findings.Matches)
        {
            var from = rendered ? _columnOf[match.Start] : match.Start;
            var to = (rendered ? _columnOf[match.End - 1] : match.End - 1) + 1;
            if (!MaskCells(from, to, match.Name))
            {
                MaskOperations(match.Name);
            }
        }

        if (!final)
        {
            foreach (var candidate in _findings.Candidates)
            {
                _held.Add(new Held(rendered ? _columnOf[candidate.Start] : candidate.Start, candidate.Name, candidate.Distinctive));
            }
        }

        // Edits are kept while something on the row is undecided: they may be what completes it.
        if (_held.Count == 0)
        {
            _operations.Clear();
        }
    }

    private void EnsureBuffers(int size)
    {
        if (_text.Length < size)
        {
            _text = new byte[size * 2];
            _columnOf = new int[size * 2];
        }
    }

    private readonly record struct Held(int Column, string Name, bool Distinctive);

    private readonly record struct Saved(int Row, int Column, long Shadow, int Generation);
}
