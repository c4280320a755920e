using System.Buffers;
using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// A redraw that replaces the whole row (a carriage return, printable ASCII from column 0 and an erase to the end) on a row
/// the screen follows cell by cell is taken in one step, and a clean progress line's CR LF ends the row without the redraw
/// bookkeeping (<c>ScreenView.WholeRowRedraw.cs</c>, <c>ScreenView.RedrawEvent.cs</c>). Both must leave what the separate
/// events leave: the same output, the same rows scanned and the same point the combined text may be compacted from (which
/// decides whether the cursor's row is still known after a compaction), after every push, at every split point.
/// </summary>
public class WholeRowRedrawTests
{
    private const string Esc = "\u001b";
    private const string Erase = Esc + "[K";
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];

    private static readonly (string Label, string Output)[] s_corpora =
    [
        ("whole-row redraws shorter, longer and empty", $"$ get\r\n\rDownloading build.sh:   0%{Erase}\rDownloading src:  25%{Erase}\rDownloading node_modules:  50%{Erase}\r{Erase}\r{Erase}\rDone{Erase}\r\n$ "),
        ("a redraw without an erase between whole-row redraws", $"\r\n\r long line, 12345 of 67890{Erase}\r short\r mid-length text{Erase}\r x{Erase}\r much longer than all of them{Erase}\r\n$ "),
        ("a prefix redrawn without an erase over a body a whole-row redraw drew", $"\r\n\r    {Body}{Erase}\r{Prefix}\r\n$ "),
        ("a token grown redraw by redraw", $"\r\n\r {Prefix}{Erase}\r {Prefix}{Body[..12]}{Erase}\r {Prefix}{Body[..24]}{Erase}\r {Token}{Erase}\r {Token} done{Erase}\r\n$ "),
        ("half a token left by a longer redraw, the rest drawn after a jump", $"\r\n\r {Token[..20]}......{Erase}\r {Token[..20]}{Erase}{Esc}[22G{Token[20..]}\r\n$ "),
        ("a clean progress line's end, then the cursor back to that row", $"{Esc}[5;1H\r 0%{Erase}\r 50% {Prefix}{Erase}\r\n{Esc}[5;10H{Body}\r\n{Esc}[6;3H{Body}{Esc}[6;1H\r{Prefix}\r\n$ "),
        ("clean progress lines' ends between lines, a prefix on the next row, then the cursor to that row", $"{Esc}[3;1H\r 0%{Erase}\r 50%{Erase}\r\nok\r\n\r 0%{Erase}\r 9%{Erase}\r\n\r\n\r 1%{Erase}\r\n{Prefix}{Esc}[8;5H{Body}\r\n$ "),
        ("clean progress lines' ends scrolling at the bottom row, a prefix there, then the cursor to the bottom row", $"{Esc}[22;1H\r 0%{Erase}\r\n\r 1%{Erase}\r 2%{Erase}\r\nlog\r\n\r 3%{Erase}\r\n\r 4%{Erase}\r\n{Prefix}{Esc}[24;5H{Body}\r\n$ "),
        ("a progress line ended after a cursor jump", $"\r\n\r  {Prefix}{Erase}{Esc}[10G{Body}\r\n\r  ok{Erase}{Esc}[2D\r\n$ "),
        ("whole-row redraws as wide as the row and wrapped", $"\r\n\r{new string('#', 78)}{Erase}\r{new string('=', 79)}{Erase}\r{Prefix}{Body}{Erase}\r\n$ "),
        ("a whole-row redraw after a saved cursor and colours", $"\r\n{Esc}7\r{Esc}[1m {Prefix}{Esc}[0m{Erase}\r {Body}{Erase}{Esc}8{Prefix}\r\n$ "),
    ];

    public static TheoryData<string> Corpora() => [.. s_corpora.Select(c => c.Label).Concat(ScreenAttacks.All.Select(a => a.Label))];

    [Theory]
    [MemberData(nameof(Corpora))]
    public void A_whole_row_redraw_leaves_the_output_scans_and_compaction_point_of_the_separate_events_at_every_split(string label)
    {
        var input = Encoding.UTF8.GetBytes(s_corpora.FirstOrDefault(c => c.Label == label).Output ?? ScreenAttacks.All.Single(a => a.Label == label).Output);
        foreach (var flush in new[] { false, true })
        {
            foreach (var (name, chunks) in Chunkings(input, 0, input.Length))
            {
                var fused = Run(input, chunks, flush, separate: false, Narrow);
                var separate = Run(input, chunks, flush, separate: true, Narrow);
                fused.Should().Equal(separate, $"{name}, flush {flush}");
            }
        }
    }

    /// <summary>
    /// A clean progress line's end leaves the cursor's row to be counted later (<c>EndCleanRow</c>): the row a prefix was drawn
    /// on after such ends, between other lines and at the scrolling bottom row, is still known as the cursor's row when the
    /// cursor is put back on it, so the body drawn there completes the token on the screen and is masked.
    /// </summary>
    [Theory]
    [InlineData("clean progress lines' ends between lines, a prefix on the next row, then the cursor to that row")]
    [InlineData("clean progress lines' ends scrolling at the bottom row, a prefix there, then the cursor to the bottom row")]
    public void A_token_completed_on_the_row_after_clean_progress_lines_is_masked_at_every_split(string label)
    {
        var input = Encoding.UTF8.GetBytes(s_corpora.Single(c => c.Label == label).Output);
        foreach (var flush in new[] { false, true })
        {
            foreach (var (name, chunks) in Chunkings(input, 0, input.Length))
            {
                var output = Mask.OnScreen(input, chunks, flush).Output;
                Encoding.UTF8.GetString(output).Should().NotContain(Body[..4], $"{name}, flush {flush}");
            }
        }
    }

    /// <summary>
    /// A push that ends right after the second whole-row redraw of a row, once the combined text is long enough to be
    /// compacted there: the separate events keep the first redraw's undrawn piece, which starts where the row does, so the
    /// compaction stops at the row's start (where the cursor was last put, on the bottom row) and the cursor's row stays
    /// known. The next push moves the cursor to that row
    /// (a column move on the same row) and draws a token's body right of the prefix the second redraw left on it.
    /// </summary>
    [Fact]
    public void A_whole_row_redraw_keeps_the_row_known_across_a_compaction_at_every_split()
    {
        var filler = new StringBuilder();
        for (var line = 0; filler.Length < 48 * 1024; line++)
        {
            filler.Append($"drwxr-xr-x  2 agent agent {line,6} {Esc}[01;34msrc{Esc}[0m\r\n");
        }

        var row = $"{Esc}[24;1H\r{new string('.', 200)}{Erase}\r      {Prefix}{new string(' ', 190)}{Erase}";
        var next = $"{Esc}[24;11H{Body}{Erase}\r\n$ ";
        var input = Encoding.UTF8.GetBytes(filler + row + next);
        var rowStart = Encoding.UTF8.GetByteCount(filler.ToString());
        var rowEnd = rowStart + Encoding.UTF8.GetByteCount(row);

        var compacted = Run(input, [rowEnd, input.Length - rowEnd], flush: false, separate: true, Wide);
        compacted[0].TextBase.Should().BeGreaterThan(32 * 1024, "the combined text is compacted at the end of the first push");
        compacted[0].TextBase.Should().Be(compacted[0].KeepFrom, "the compaction stops where the first redraw's undrawn piece, and the row, start");

        foreach (var flush in new[] { false, true })
        {
            foreach (var (name, chunks) in Chunkings(input, rowStart, input.Length))
            {
                var fused = Run(input, chunks, flush, separate: false, Wide);
                var separate = Run(input, chunks, flush, separate: true, Wide);
                fused.Should().Equal(separate, $"{name}, flush {flush}");
                fused[^1].Output.Should().NotContain(Body[..8], $"{name}, flush {flush}: the body completes the token on the row");
            }
        }
    }

    private static MaskerOptions Narrow => MaskerOptions.Default with { Columns = 80, Rows = 24 };

    // Wide enough for two redraws longer than the combined view's look-behind together.
    private static MaskerOptions Wide => MaskerOptions.Default with { Columns = 240, Rows = 24 };

    /// <summary>Whole, byte by byte over [<paramref name="from"/>, <paramref name="to"/>), and split in two at every point there.</summary>
    private static List<(string Name, int[] Chunks)> Chunkings(byte[] input, int from, int to)
    {
        var byteByByte = new List<int>();
        if (from > 0)
        {
            byteByByte.Add(from);
        }

        byteByByte.AddRange(Enumerable.Repeat(1, to - from));
        if (to < input.Length)
        {
            byteByByte.Add(input.Length - to);
        }

        var chunkings = new List<(string Name, int[] Chunks)> { ("whole", Mask.Whole(input)), ("byte by byte", [.. byteByByte]) };
        for (var at = Math.Max(1, from); at < to; at++)
        {
            chunkings.Add(($"split at {at}", Mask.SplitAt(input, at)));
        }

        return chunkings;
    }

    /// <summary>After every push (and the end): what came out since, the rows scanned so far, and where the combined text is kept from.</summary>
    private static List<Step> Run(byte[] input, int[] chunks, bool flush, bool separate, MaskerOptions options)
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry(), options with { SeparateRedrawEvents = separate });
        var steps = new List<Step>();
        var output = new ArrayBufferWriter<byte>();
        var offset = 0;
        foreach (var size in chunks)
        {
            masker.Push(input.AsSpan(offset, size), output);
            offset += size;
            if (flush)
            {
                masker.FlushHeld(output);
            }

            steps.Add(Take(masker, output));
        }

        masker.Complete(output);
        steps.Add(Take(masker, output));
        return steps;

        static Step Take(StreamingMasker masker, ArrayBufferWriter<byte> output)
        {
            var (keepFrom, textBase) = masker.ScreenCompaction;
            var step = new Step(Encoding.UTF8.GetString(output.WrittenSpan), masker.ScreenRowScans, keepFrom, textBase);
            output.ResetWrittenCount();
            return step;
        }
    }

    private sealed record Step(string Output, int Scans, long KeepFrom, long TextBase);
}
