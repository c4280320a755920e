using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Broker.Masking.Views;

/// <summary>
/// The cells of the terminal row the cursor is on: for each column, the character drawn there (its UTF-8
/// bytes) and the raw offset of the bytes that drew it. Blank cells were never drawn or were erased.
/// </summary>
internal sealed class ScreenRow
{
    private const int Blank = -1;

    // A cell's character: one byte in _bytes when it is one byte long (printable ASCII, nearly every cell), else the UTF-8
    // bytes packed in _characters. A row of one-byte cells is then its own text for the detectors (see Ascii).
    private byte[] _bytes = new byte[128];
    private uint[] _characters = new uint[128];
    private byte[] _lengths = new byte[128];
    private long[] _raw = new long[128];

    public ScreenRow(int maxColumns) => MaxColumns = maxColumns;

    /// <summary>Columns beyond this are not kept (a row wider than any terminal).</summary>
    public int MaxColumns { get; }

    /// <summary>Columns in use: one past the rightmost cell ever drawn since the row was cleared.</summary>
    public int Width { get; private set; }

    /// <summary>Changed since it was last scanned.</summary>
    public bool Dirty { get; set; }

    public void Clear()
    {
        Array.Fill(_lengths, (byte)0, 0, Width);
        Width = 0;
        Dirty = false;
    }

    /// <summary>Draws a character of <paramref name="length"/> UTF-8 bytes (packed little-endian) at <paramref name="column"/>.</summary>
    public void Put(int column, uint character, int length, long raw)
    {
        if (column >= MaxColumns)
        {
            return;
        }

        Ensure(column + 1);
        _bytes[column] = (byte)character;
        _characters[column] = character;
        _lengths[column] = (byte)length;
        _raw[column] = raw;
        Width = Math.Max(Width, column + 1);
        Dirty = true;
    }

    /// <summary>
    /// Draws printable ASCII, one cell per byte, from <paramref name="column"/> on (the caller has made sure it fits); the
    /// byte at index k was raw offset <paramref name="raw"/> + k. The same as a <see cref="Put"/> per byte, in one pass.
    /// </summary>
    public void PutRun(int column, ReadOnlySpan<byte> ascii, long raw)
    {
        Ensure(column + ascii.Length);
        ascii.CopyTo(_bytes.AsSpan(column));
        FillOffsets(_raw.AsSpan(column, ascii.Length), raw);
        _lengths.AsSpan(column, ascii.Length).Fill(1);
        Width = Math.Max(Width, column + ascii.Length);
        Dirty = true;
    }

    /// <summary>Blanks [<paramref name="from"/>, <paramref name="to"/>).</summary>
    // Inlined: a progress line's erase after each redraw mostly finds no cell right of the cursor (its cells are left undrawn).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Erase(int from, int to)
    {
        if (from < Math.Min(to, Width))
        {
            EraseCells(from, Math.Min(to, Width));
        }
    }

    private void EraseCells(int from, int to)
    {
        Array.Fill(_lengths, (byte)0, from, to - from);
        while (Width > 0 && _lengths[Width - 1] == 0)
        {
            Width--;
        }

        Dirty = true;
    }

    /// <summary>Deletes <paramref name="count"/> cells at <paramref name="column"/>; the cells right of them move left.</summary>
    public void Delete(int column, int count)
    {
        if (column >= Width)
        {
            return;
        }

        count = Math.Min(count, Width - column);
        Array.Copy(_bytes, column + count, _bytes, column, Width - column - count);
        Array.Copy(_characters, column + count, _characters, column, Width - column - count);
        Array.Copy(_lengths, column + count, _lengths, column, Width - column - count);
        Array.Copy(_raw, column + count, _raw, column, Width - column - count);
        Erase(Width - count, Width);
        Dirty = true;
    }

    /// <summary>Inserts <paramref name="count"/> blank cells at <paramref name="column"/>; the cells right of them move right.</summary>
    public void Insert(int column, int count)
    {
        if (column >= Width)
        {
            return;
        }

        var moved = Math.Min(Width - column, MaxColumns - column - count);
        if (moved > 0)
        {
            Ensure(column + count + moved);
            Array.Copy(_bytes, column, _bytes, column + count, moved);
            Array.Copy(_characters, column, _characters, column + count, moved);
            Array.Copy(_lengths, column, _lengths, column + count, moved);
            Array.Copy(_raw, column, _raw, column + count, moved);
            Width = column + count + moved;
        }

        Array.Fill(_lengths, (byte)0, column, Math.Min(count, Width - column));
        while (Width > 0 && _lengths[Width - 1] == 0)
        {
            Width--;
        }

        Dirty = true;
    }

    /// <summary>The character at <paramref name="column"/> (blank: -1) and the raw offset and length of the bytes that drew it.</summary>
    public (long Character, int Length, long Raw) At(int column) =>
        column < Width && _lengths[column] > 0 ? (Character(column), _lengths[column], _raw[column]) : (Blank, 0, 0);

    /// <summary>
    /// The row's text when every cell up to <see cref="Width"/> holds a one-byte character (no blank, no UTF-8): then it is
    /// exactly what <see cref="Render"/> writes, byte k being column k, without a copy. Empty otherwise.
    /// </summary>
    public ReadOnlySpan<byte> Ascii =>
        Width > 0 && !_lengths.AsSpan(0, Width).ContainsAnyExcept((byte)1) ? _bytes.AsSpan(0, Width) : [];

    /// <summary>
    /// The row as text for the detectors (a blank cell reads as a space), with, for each byte of it, the column it
    /// belongs to; returns the length.
    /// </summary>
    public int Render(Span<byte> text, Span<int> columns)
    {
        var n = 0;
        for (var c = 0; c < Width && n + 4 <= text.Length; c++)
        {
            if (_lengths[c] == 0)
            {
                columns[n] = c;
                text[n++] = (byte)' ';
                continue;
            }

            var character = Character(c);
            for (var k = 0; k < _lengths[c]; k++)
            {
                columns[n] = c;
                text[n++] = (byte)(character >> (8 * k));
            }
        }

        return n;
    }

    private uint Character(int column) => _lengths[column] == 1 ? _bytes[column] : _characters[column];

    /// <summary>Raw offsets <paramref name="raw"/>, <paramref name="raw"/> + 1, … (a run of one-byte cells drawn by consecutive bytes), four per step.</summary>
    private static void FillOffsets(Span<long> offsets, long raw)
    {
        var k = 0;
        if (Vector256.IsHardwareAccelerated && offsets.Length >= Vector256<long>.Count)
        {
            var step = Vector256.Create((long)Vector256<long>.Count);
            var next = Vector256.Create(raw) + Vector256.Create(0L, 1, 2, 3);
            for (; k <= offsets.Length - Vector256<long>.Count; k += Vector256<long>.Count)
            {
                next.CopyTo(offsets[k..]);
                next += step;
            }
        }

        for (; k < offsets.Length; k++)
        {
            offsets[k] = raw + k;
        }
    }

    private void Ensure(int size)
    {
        if (size <= _lengths.Length)
        {
            return;
        }

        var grown = Math.Min(MaxColumns, Math.Max(size, _lengths.Length * 2));
        Array.Resize(ref _bytes, grown);
        Array.Resize(ref _characters, grown);
        Array.Resize(ref _lengths, grown);
        Array.Resize(ref _raw, grown);
    }
}
