using System.Runtime.CompilerServices;
using Broker.Masking.Text;

namespace Broker.Masking.Views;

/// <summary>Control sequences: what each does to the cursor and the row's cells, and which leave a redraw clean.</summary>
internal sealed partial class ScreenView
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Csi(in CsiSequence sequence, long rawOffset)
    {
        // Colours on a row drawn left to right (a coloured `cat`): they change no cell, and masking or holding them back
        // would keep no secret off the screen, so they are not kept as edits. This test is inlined into the parser's loop.
        if (sequence.Final != (byte)'m' || sequence.Private != 0 || _detailed || _carriageReturn)
        {
            Edit(sequence, rawOffset);
        }
    }

    /// <summary>A control sequence that may move the cursor or change cells (or colours on a row followed cell by cell).</summary>
    private void Edit(in CsiSequence sequence, long rawOffset)
    {
        _operations.Add(sequence.Start, rawOffset + 1);
        if (sequence.Private != 0 || !(sequence.Final == (byte)'m' || (sequence.Final is (byte)'K' or (byte)'J' && sequence.Get(0, 0) == 0)))
        {
            // Colours and erasing right of the cursor leave a redraw clean; anything else may move or change its cells.
            StopRedraw();
        }

        if (sequence.Private != 0)
        {
            // The alternate screen (1049, 1047, 47) is a fresh screen; other private modes move nothing.
            if (sequence.Final is (byte)'h' or (byte)'l' && sequence.Get(0, 0) is 47 or 1047 or 1049)
            {
                MoveToRow(0, 0);
            }

            return;
        }

        var n = sequence.Get(0, 1);
        switch (sequence.Final)
        {
            case (byte)'A':
                MoveToRow(CurrentRow() - n, Column());
                break;
            case (byte)'B' or (byte)'e':
                MoveToRow(CurrentRow() + n, Column());
                break;
            case (byte)'E':
                MoveToRow(CurrentRow() + n, 0);
                break;
            case (byte)'F':
                MoveToRow(CurrentRow() - n, 0);
                break;
            case (byte)'d' when n - 1 != CurrentRow():
                MoveToRow(n - 1, Column());
                break;
            case (byte)'H' or (byte)'f' when n - 1 == CurrentRow():
                // The same row: a column move, and the row's cells stay.
                MoveToColumn(sequence.Get(1, 1) - 1);
                break;
            case (byte)'H' or (byte)'f':
                MoveToRow(n - 1, sequence.Get(1, 1) - 1);
                break;
            case (byte)'r':
                MoveToRow(0, 0);
                break;
            case (byte)'G' or (byte)'`':
                MoveToColumn(n - 1);
                break;
            case (byte)'C' or (byte)'a':
                MoveToColumn(Column() + n);
                break;
            case (byte)'D':
                MoveToColumn(Column() - n);
                break;
            case (byte)'K' or (byte)'J':
                EraseInRow(sequence.Get(0, 0));
                break;
            case (byte)'X':
                Materialize();
                _row.Erase(_column, _column + n);
                break;
            case (byte)'P':
                Materialize();
                _row.Delete(_column, n);
                break;
            case (byte)'@':
                Materialize();
                _row.Insert(_column, n);
                break;
            case (byte)'b':
                Repeat(n);
                break;
            case (byte)'s' when sequence.Count == 0:
                Save();
                break;
            case (byte)'u':
                Restore();
                break;
        }
    }
}
