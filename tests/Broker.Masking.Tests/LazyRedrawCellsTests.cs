using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The screen model leaves the cells of a clean redraw undrawn until something needs them (a scan that is not clean, a
/// cursor movement, the hold delay, the hold bound). That fast path must change nothing: at every split point, with and
/// without the hold delay firing after every chunk, its output is byte for byte the output of the model that draws every
/// cell at once, and it scans the same rows.
/// </summary>
public class LazyRedrawCellsTests
{
    private const string Esc = "\u001b";
    private const string Card = "4111 1111 1111 1111";
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];

    private static readonly (string Label, string Output)[] s_corpora =
    [
        ("progress bar ending in a token", $"\rDownloading:   0% [          ]{Esc}[K\rDownloading:  50% [#####     ]{Esc}[K\rpushed {Token} [done]{Esc}[K\r\n$ "),
        ("card glued to the previous redraw", $"size 12\r{Card}{Esc}[K\r\n$ "),
        ("shorter redraw without erasing completes a token", $"....{Body} \r{Prefix}\r\n$ "),
        ("held on the screen, erased by a clean redraw, drawn again", $"{Esc}[5G{Body[..20]}\r{Prefix}\r {Esc}[K\r{Token}\r\n$ "),
        ("the prefix as a clean redraw, the body after a jump", $"\r{Prefix}{Esc}[K{Esc}[5G{Body}\r\n$ "),
        ("half as a clean redraw, redrawn early, the rest at its column", $"\r {Token[..20]}{Esc}[K\r {Token[..20]}{Esc}[K{Esc}[22G{Token[20..]}\r\n$ "),
        ("the body as a clean redraw, the prefix over the blanks", $"\r    {Body}{Esc}[K\r{Prefix}\r\n$ "),
        ("a progress line growing into the token", $"\r[{Token[..12]}]{Esc}[K\r[{Token[..30]}]{Esc}[K{Esc}[32G{Token[30..]}]\r\n$ "),
        // Redraws shorter and shorter with no erase: each leaves a piece of the one before it showing, more than are kept undrawn.
        ("six ever shorter redraws without erasing", $"\r {Body}\r {Body[..30]}\r {Body[..24]}\r {Body[..18]}\r {Body[..12]}\r {Body[..6]}\r{Prefix}\r\n$ "),
        ("a redraw ended by a backspace", $"\r {Body}{Esc}[K\b\b\b\b{Esc}[K\r{Prefix}\r\n$ "),
        ("a redraw ended by a repeat", $"\r ghp_A{Esc}[35b\r\n$ "),
        ("a redraw then the cursor saved and restored", $"\r {Body}{Esc}[K{Esc}7\r{Esc}8{Esc}[1G{Prefix}\r\n$ "),
        ("a redraw with colours inside it", $"\r {Esc}[32m{Body[..10]}{Esc}[0m{Body[10..]}{Esc}[K\r{Esc}[1m{Prefix}{Esc}[0m\r\n$ "),
        ("a redraw erased right of the cursor mid-way", $"\r {Body}\r {Body[..10]}{Esc}[K{Esc}[2C{Body[12..]}\r{Prefix}\r\n$ "),
        ("redraws on two rows", $"\r 50%{Esc}[K\r 99%{Esc}[K\r\n\r {Body}{Esc}[K\r{Prefix}\r\n$ "),
        ("a wrapped redraw", $"\r{new string('#', 70)}{Esc}[K\r{Prefix}{Body}\r\n$ "),
    ];

    public static TheoryData<string> Corpora() => [.. s_corpora.Select(c => c.Label).Concat(ScreenAttacks.All.Select(a => a.Label))];

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Lazy_cells_give_the_same_output_and_scans_as_drawing_every_cell_at_every_split(string label)
    {
        var input = Encoding.UTF8.GetBytes(s_corpora.FirstOrDefault(c => c.Label == label).Output ?? ScreenAttacks.All.Single(a => a.Label == label).Output);
        foreach (var flush in new[] { false, true })
        {
            var chunkings = new List<(string Name, int[] Chunks)> { ("whole", Mask.Whole(input)), ("byte by byte", Mask.OneByOne(input)) };
            for (var at = 1; at < input.Length; at++)
            {
                chunkings.Add(($"split at {at}", Mask.SplitAt(input, at)));
            }

            foreach (var (name, chunks) in chunkings)
            {
                var lazy = Masked(input, chunks, flush, eager: false);
                var eager = Masked(input, chunks, flush, eager: true);
                Encoding.UTF8.GetString(lazy.Output).Should().Be(Encoding.UTF8.GetString(eager.Output), $"{name}, flush {flush}");
                lazy.Scans.Should().Be(eager.Scans, $"{name}, flush {flush}: the same rows are scanned");
            }
        }
    }

    [Fact]
    public void Lazy_cells_give_the_same_output_as_drawing_every_cell_on_long_progress_output_in_random_chunks()
    {
        var input = ProgressOutput(64 * 1024);
        for (var seed = 1; seed <= 8; seed++)
        {
            var chunks = Mask.Random(input, seed, 700);
            var lazy = Masked(input, chunks, flush: seed % 2 == 0, eager: false);
            var eager = Masked(input, chunks, flush: seed % 2 == 0, eager: true);
            lazy.Output.AsSpan().SequenceEqual(eager.Output).Should().BeTrue($"seed {seed}");
            lazy.Scans.Should().Be(eager.Scans, $"seed {seed}");
            Encoding.UTF8.GetString(lazy.Output).Should().NotContain(Body[..8], $"seed {seed}: the tokens in the redraws are masked");
        }
    }

    [Fact]
    public void A_redrawn_progress_line_is_never_scanned_on_the_screen()
    {
        var masked = Masked(ProgressOutput(16 * 1024), [16 * 1024], flush: false, eager: false);

        masked.Scans.Should().Be(0, "every redraw is clean: the combined view reads it");
    }

    /// <summary>Progress lines redrawn after carriage returns with colours and erases, some with a token, between ordinary lines.</summary>
    private static byte[] ProgressOutput(int size)
    {
        var random = new Random(7);
        var text = new StringBuilder(size + 256);
        while (text.Length < size)
        {
            if (random.Next(3) == 0)
            {
                for (var step = 0; step <= 100; step += 20)
                {
                    var name = random.Next(4) == 0 ? Token : new string('x', random.Next(1, 12));
                    text.Append($"\r{Esc}[32mfetch{Esc}[0m {name}: {step,3}% [{new string('#', step / 10),-10}]{Esc}[K");
                }

                text.Append("\r\n");
            }
            else
            {
                text.Append($"{Esc}[1mline {random.Next(1000)}{Esc}[0m ordinary output\r\n");
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, size));
    }

    private static (byte[] Output, int Scans) Masked(byte[] input, IReadOnlyList<int> chunks, bool flush, bool eager) =>
        Mask.OnScreen(input, chunks, flush, eagerRedrawCells: eager);
}
