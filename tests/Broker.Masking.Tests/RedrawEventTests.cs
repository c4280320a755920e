using System.Text;
using Broker.Masking.Tests.Support;
using Broker.Masking.Text;

namespace Broker.Masking.Tests;

/// <summary>
/// The parser hands a carriage return, the visible text after it and an <c>ESC [ K</c> right after that to the screen as one
/// redraw event, which the screen model takes in one step when it can. That must change nothing: the events it stands for
/// are exactly those the parser finds without it, at every split point, and the masked output and the rows scanned are
/// byte for byte those of the separate events, with and without the hold delay firing after every chunk.
/// </summary>
public class RedrawEventTests
{
    private const string Esc = "\u001b";
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];

    private static readonly (string Label, string Output)[] s_corpora =
    [
        ("a progress bar redrawn with erases, then CR LF", $"$ get\r\nDownloading:   0% [    ]{Esc}[K\rDownloading:  50% [##  ]{Esc}[K\rDownloading: 100% [####]{Esc}[K\r\n$ "),
        ("a progress bar ending in a token", $"\rfetch:  0%{Esc}[K\rpushed {Token} [done]{Esc}[K\r\n$ "),
        ("the prefix redrawn over a body drawn at column 5", $"{Esc}[5G{Body}\r{Prefix}{Esc}[K\r{Prefix}\r\n$ "),
        ("a redraw without an erase completes a token", $"....{Body} \r{Prefix}\r\n$ "),
        ("erases right after carriage returns", $"\r{Esc}[K{Prefix}\r{Esc}[K\r {Body}{Esc}[K\r{Prefix}\r\n$ "),
        ("a redraw with a tab, a wide character and a zero-width one", $"\r a\tb{Esc}[K\r 中{Prefix}{Esc}[K\r {Prefix}\u200b{Body}{Esc}[K\r\n$ "),
        ("a redraw with colours", $"\r{Esc}[32m {Body[..10]}{Esc}[0m{Body[10..]}{Esc}[K\r{Esc}[1m{Prefix}{Esc}[0m\r\n$ "),
        ("a redraw as wide as the row", $"\r{new string('#', 79)}{Esc}[K\r{new string('=', 78)}{Esc}[K\r{Prefix}{Body}{Esc}[K\r\n$ "),
        ("a wrapped redraw", $"\r{new string('#', 70)}{Esc}[K\r{Prefix}{Body}{Esc}[K\r\n$ "),
        ("CR LF after CR LF, a lone CR, CR before an escape", $"a\r\n\r\nb\r{Esc}[1mc{Esc}[0m\r\n\r\r\n{Esc}[0K\r\n$ "),
        ("a redraw then a cursor jump", $"\r {Token[..20]}{Esc}[K\r {Token[..20]}{Esc}[K{Esc}[22G{Token[20..]}\r\n$ "),
        ("the second half of an erase elsewhere", $"\r {Body}{Esc}[2K\r{Prefix}{Esc}[1K\r{Esc}[0K{Esc}[K\r\n$ "),
        ("an OSC title between redraws", $"\r {Body}{Esc}[K{Esc}]0;{Token}\a\r{Prefix}{Esc}[K\r\n$ "),
        ("a redraw stopped by a DEL, one with a Latin letter, one ending in a tab", $"\r {Prefix}\u007f{Body}{Esc}[K\r é{Prefix}{Esc}[K\r {Prefix}\t{Esc}[K\r\n$ "),
        ("redraws of 32 bytes and more with a wide character, a tab or a Latin letter in the first or the last 32", $"\r中 {Token}{Esc}[K\r{Prefix}\r {Token[..30]}\t{Token[30..]}{Esc}[K\r{Prefix}\r {Token}é{Esc}[K\r{Prefix}\r\n$ "),
    ];

    public static TheoryData<string> Corpora() =>
        [.. s_corpora.Select(c => c.Label).Concat(ScreenAttacks.All.Select(a => a.Label)).Append("the bench's bulk cat")];

    [Theory]
    [MemberData(nameof(Corpora))]
    public void One_redraw_event_stands_for_the_separate_events_at_every_split(string label)
    {
        var input = Input(label);
        foreach (var (name, chunks) in Chunkings(input))
        {
            var fused = Events(input, chunks, separate: false);
            var separate = Events(input, chunks, separate: true);
            fused.Should().Equal(separate, name);
        }
    }

    [Theory]
    [MemberData(nameof(Corpora))]
    public void One_redraw_event_gives_the_same_output_and_scans_as_separate_events_at_every_split(string label)
    {
        var input = Input(label);
        foreach (var flush in new[] { false, true })
        {
            foreach (var (name, chunks) in Chunkings(input))
            {
                var fused = Mask.OnScreen(input, chunks, flush);
                var separate = Mask.OnScreen(input, chunks, flush, separateRedrawEvents: true);
                Encoding.UTF8.GetString(fused.Output).Should().Be(Encoding.UTF8.GetString(separate.Output), $"{name}, flush {flush}");
                fused.Scans.Should().Be(separate.Scans, $"{name}, flush {flush}: the same rows are scanned");
            }
        }
    }

    [Fact]
    public void One_redraw_event_gives_the_same_output_on_long_progress_output_in_random_chunks()
    {
        var input = BulkCat(96 * 1024, withTokens: true);
        for (var seed = 1; seed <= 8; seed++)
        {
            var chunks = Mask.Random(input, seed, 900);
            var fused = Mask.OnScreen(input, chunks, flush: seed % 2 == 0);
            var separate = Mask.OnScreen(input, chunks, flush: seed % 2 == 0, separateRedrawEvents: true);
            fused.Output.AsSpan().SequenceEqual(separate.Output).Should().BeTrue($"seed {seed}");
            fused.Scans.Should().Be(separate.Scans, $"seed {seed}");
            Encoding.UTF8.GetString(fused.Output).Should().NotContain(Body[..8], $"seed {seed}: the tokens in the redraws are masked");
        }
    }

    [Fact]
    public void The_parser_hands_a_redraw_with_its_erase_as_one_event_with_the_offsets_of_its_parts()
    {
        var parser = new TerminalParser();
        var sink = new RecordingSink();

        parser.Feed("ab\rDone 50%\u001b[K\r\nx\r\u001b[1m"u8, 100, sink);

        sink.Redraws.Should().Equal(
            (102L, "Done 50%", true),
            (114L, "\nx", false),
            (117L, string.Empty, false));
    }

    [Fact]
    public void The_parser_leaves_an_erase_cut_off_by_the_end_of_the_chunk_to_the_next_one()
    {
        var parser = new TerminalParser();
        var sink = new RecordingSink();

        parser.Feed("\rDone\u001b["u8, 0, sink);
        parser.Feed("K"u8, 7, sink);

        sink.Redraws.Should().Equal((0L, "Done", false));
        sink.Events.Should().Equal("control 0D at 0", "visible 'Done' at 1", "csi K (0 parameters) from 5 at 7 0 0 0");
    }

    private static byte[] Input(string label) =>
        label == "the bench's bulk cat"
            ? BulkCat(1536, withTokens: true)
            : Encoding.UTF8.GetBytes(s_corpora.FirstOrDefault(c => c.Label == label).Output ?? ScreenAttacks.All.Single(a => a.Label == label).Output);

    private static List<(string Name, int[] Chunks)> Chunkings(byte[] input)
    {
        var chunkings = new List<(string Name, int[] Chunks)> { ("whole", Mask.Whole(input)), ("byte by byte", Mask.OneByOne(input)) };
        for (var at = 1; at < input.Length; at++)
        {
            chunkings.Add(($"split at {at}", Mask.SplitAt(input, at)));
        }

        return chunkings;
    }

    /// <summary>The events the parser finds, a redraw written as the events it stands for.</summary>
    private static List<string> Events(byte[] input, int[] chunks, bool separate)
    {
        var parser = new TerminalParser { SeparateRedraws = separate };
        var sink = new RecordingSink();
        var offset = 0;
        foreach (var size in chunks)
        {
            parser.Feed(input.AsSpan(offset, size), offset, sink);
            offset += size;
        }

        parser.Finish(sink);
        return sink.Events;
    }

    /// <summary>A PTY's bulk <c>cat</c> as the bench makes it (coloured lines, CR LF, a progress bar redrawn on some lines), with tokens in some redraws.</summary>
    private static byte[] BulkCat(int size, bool withTokens)
    {
        var random = new Random(11);
        var text = new StringBuilder(size + 256);
        while (text.Length < size)
        {
            switch (random.Next(4))
            {
                case 0:
                    text.Append($"drwxr-xr-x  2 agent agent {random.Next(100, 99999),6} \u001b[01;34msrc\u001b[0m\r\n");
                    break;
                case 1:
                    for (var step = 0; step <= 100; step += 25)
                    {
                        var name = withTokens && random.Next(4) == 0 ? Token : "app.py";
                        text.Append($"\rDownloading {name}: {step,3}% [{new string('#', step / 10),-10}]{Esc}[K");
                    }

                    text.Append("\r\n");
                    break;
                case 2:
                    text.Append($"\u001b[32m[08:{random.Next(0, 60):00}]\u001b[0m INFO request handled\r\n");
                    break;
                default:
                    text.Append("    at Broker.Sessions.Session.RunAsync() in /src/Session.cs\r\n");
                    break;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, size));
    }

    /// <summary>Writes down every event; a redraw is written down as such and then as the events it stands for.</summary>
    private sealed class RecordingSink : ITerminalSink
    {
        public List<string> Events { get; } = [];

        public List<(long CarriageReturn, string Text, bool Erase)> Redraws { get; } = [];

        public void Visible(ReadOnlySpan<byte> text, long rawOffset) => Events.Add($"visible '{Encoding.UTF8.GetString(text)}' at {rawOffset}");

        public void Control(byte control, long rawOffset) => Events.Add($"control {control:X2} at {rawOffset}");

        public void Csi(in CsiSequence sequence, long rawOffset) =>
            Events.Add($"csi {(char)sequence.Final} ({sequence.Count} parameters) from {sequence.Start} at {rawOffset} {sequence.Private} {sequence.Intermediate} {sequence.P0}");

        public void Escape(byte intermediate, byte final, long rawOffset) => Events.Add($"escape {intermediate} {final} at {rawOffset}");

        public void StringStart(byte introducer, long rawOffset) => Events.Add($"string {introducer} at {rawOffset}");

        public void StringBytes(ReadOnlySpan<byte> payload, long rawOffset) => Events.Add($"payload '{Encoding.UTF8.GetString(payload)}' at {rawOffset}");

        public void StringEnd(long rawOffset) => Events.Add($"string end at {rawOffset}");

        public void Redraw(long carriageReturn, ReadOnlySpan<byte> text, bool eraseToEnd)
        {
            Redraws.Add((carriageReturn, Encoding.UTF8.GetString(text), eraseToEnd));
            TerminalEvents.Separate(this, carriageReturn, text, eraseToEnd);
        }
    }
}
