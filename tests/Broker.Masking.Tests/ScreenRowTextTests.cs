using Broker.Masking.Views;

namespace Broker.Masking.Tests;

/// <summary>
/// A screen row keeps a one-byte character as a byte and a longer one packed in a word, and a row of one-byte cells is
/// scanned in place (<see cref="ScreenRow.Ascii"/>) instead of rendered. Random edits (one-byte and UTF-8 characters,
/// runs, erases, deletes, inserts, clears) against a plain model of the cells: after each, every cell reads as the model's,
/// the rendered text is the model's, and the in-place text is there exactly when every cell is one byte long, equal to the
/// rendered text with byte k in column k.
/// </summary>
public class ScreenRowTextTests
{
    private const int MaxColumns = 300;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void A_row_of_one_byte_cells_is_its_own_text_and_every_cell_reads_as_drawn(int seed)
    {
        var random = new Random(seed);
        var row = new ScreenRow(MaxColumns);
        var model = new Cell[MaxColumns];
        var text = new byte[(MaxColumns * 4) + 4];
        var columns = new int[text.Length];
        uint[] wide = [0xA9C3, 0xAC82E2, 0x80989FF0];
        for (var step = 0; step < 3000; step++)
        {
            var width = ModelWidth(model);
            var column = random.Next(Math.Min(MaxColumns, width + 8));
            switch (random.Next(12))
            {
                case < 5:
                    var run = new byte[random.Next(1, Math.Max(2, Math.Min(60, MaxColumns - column)))];
                    for (var k = 0; k < run.Length; k++)
                    {
                        run[k] = (byte)random.Next(0x20, 0x7F);
                        model[column + k] = new Cell(run[k], 1, 1000 + step + k);
                    }

                    row.PutRun(column, run, 1000 + step);
                    break;
                case < 7:
                    var length = random.Next(4) == 0 ? random.Next(2, 5) : 1;
                    var character = length == 1 ? (uint)random.Next(0x20, 0x7F) : wide[length - 2];
                    row.Put(column, character, length, step);
                    model[column] = new Cell(character, length, step);
                    break;
                case 7:
                    var to = column + random.Next(1, 40);
                    row.Erase(column, to);
                    Array.Fill(model, default, column, Math.Max(0, Math.Min(to, width) - column));
                    break;
                case 8:
                    var deleted = random.Next(1, 20);
                    row.Delete(column, deleted);
                    Delete(model, column, deleted, width);
                    break;
                case 9:
                    var inserted = random.Next(1, 20);
                    row.Insert(column, inserted);
                    Insert(model, column, inserted, width);
                    break;
                case 10 when random.Next(4) == 0:
                    row.Clear();
                    Array.Fill(model, default);
                    break;
            }

            Check(row, model, text, columns, $"seed {seed}, step {step}");
        }
    }

    private static void Check(ScreenRow row, Cell[] model, byte[] text, int[] columns, string because)
    {
        var width = ModelWidth(model);
        row.Width.Should().Be(width, because);
        var expected = new List<byte>();
        for (var c = 0; c < Math.Min(width + 2, MaxColumns); c++)
        {
            var (character, length, raw) = row.At(c);
            if (model[c].Length == 0)
            {
                length.Should().Be(0, because);
            }
            else
            {
                (character, length, raw).Should().Be(((long)model[c].Character, model[c].Length, model[c].Raw), because);
            }

            for (var k = 0; c < width && k < Math.Max(1, model[c].Length); k++)
            {
                expected.Add(model[c].Length == 0 ? (byte)' ' : (byte)(model[c].Character >> (8 * k)));
            }
        }

        var rendered = text.AsSpan(0, row.Render(text, columns));
        rendered.ToArray().Should().Equal(expected, because);
        var oneByteCells = width > 0 && model.Take(width).All(cell => cell.Length == 1);
        var ascii = row.Ascii;
        (!ascii.IsEmpty).Should().Be(oneByteCells, because);
        if (oneByteCells)
        {
            ascii.ToArray().Should().Equal(rendered.ToArray(), because);
            columns.Take(rendered.Length).Should().Equal(Enumerable.Range(0, rendered.Length), because);
        }
    }

    private static int ModelWidth(Cell[] model)
    {
        var width = model.Length;
        while (width > 0 && model[width - 1].Length == 0)
        {
            width--;
        }

        return width;
    }

    private static void Delete(Cell[] model, int column, int count, int width)
    {
        if (column >= width)
        {
            return;
        }

        count = Math.Min(count, width - column);
        Array.Copy(model, column + count, model, column, width - column - count);
        Array.Fill(model, default, width - count, count);
    }

    private static void Insert(Cell[] model, int column, int count, int width)
    {
        if (column >= width)
        {
            return;
        }

        var moved = Math.Min(width - column, MaxColumns - column - count);
        if (moved > 0)
        {
            Array.Copy(model, column, model, column + count, moved);
        }

        Array.Fill(model, default, column, Math.Min(count, Math.Min(MaxColumns, column + count + Math.Max(0, moved)) - column));
    }

    private readonly record struct Cell(uint Character, int Length, long Raw);
}
