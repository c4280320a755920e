using System.Text;
using Broker.Masking.Emission;
using Broker.Masking.Tests.Support;
using Broker.Masking.Text;
using Broker.Masking.Views;

namespace Broker.Masking.Tests;

/// <summary>
/// On a row drawn left to right the screen model tests two fields per text run (<c>ScreenView.Visible</c>) and ends a CR LF
/// without testing any (<c>ScreenView.LineEnd</c>): they rely on what such a row guarantees
/// (<see cref="ScreenView.LeftToRightHolds"/>: no cell left undrawn, no redraw under way without a carriage return). That
/// must hold after every event the screen takes, at every split point, event by event and with redraw events, whether or
/// not the hold delay fires after a chunk; a row drawn left to right must also really be seen, or the check proves nothing.
/// </summary>
public class LeftToRightStateTests
{
    private const string Esc = "\u001b";
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];

    private static readonly (string Label, string Output)[] s_corpora =
    [
        ("progress bars after CR LF", $"$ get\r\nDownloading:   0% [    ]{Esc}[K\rDownloading:  50% [##  ]{Esc}[K\rDownload{Esc}[K\r\n$ ls\r\n"),
        ("a carriage return, then colours and an erase", $"abc\r{Esc}[32m{Esc}[K{Esc}[0mxy\r\n\r{Esc}[1m\r\nz"),
        ("redraws shorter and shorter without erasing", $"\r {Token}\r {Prefix}ab\r {Prefix}\rx\r\n\r\r\n"),
        ("a carriage return before a backspace, a tab and a cursor move", $"ab\r\bcd\r\tef\r{Esc}[3Cgh\r\n{Esc}[5G{Body}\r{Prefix}\r\n"),
        ("a wrapped line and a redraw as wide as the row", $"{new string('#', 100)}\r{new string('=', 79)}{Esc}[K\r\n{new string('-', 81)}\r\n"),
        ("a redraw with UTF-8, a zero-width space and a repeat", $"\r é{Prefix}{Esc}[K\r 中\u200b{Body}{Esc}[K{Esc}[3b\r\n\ra{Esc}[2b\r\n"),
        ("escapes between carriage returns", $"ab\r{Esc}7cd{Esc}8\r{Esc}Dx\r{Esc}[2Ky\r{Esc}]0;title\a\r\n"),
    ];

    public static TheoryData<string> Corpora() =>
        [.. s_corpora.Select(c => c.Label).Concat(ScreenAttacks.All.Select(a => a.Label)).Append("a bulk cat with progress bars")];

    [Theory]
    [MemberData(nameof(Corpora))]
    public void A_row_drawn_left_to_right_has_no_undrawn_cells_nor_a_redraw_without_a_carriage_return_after_every_event(string label)
    {
        var input = Input(label);
        var leftToRight = 0;
        foreach (var separate in new[] { false, true })
        {
            foreach (var flush in new[] { false, true })
            {
                foreach (var (name, chunks) in Chunkings(input))
                {
                    leftToRight += Drive(input, chunks, separate, flush, $"{name}, separate {separate}, flush {flush}");
                }
            }
        }

        leftToRight.Should().BeGreaterThan(0, "some events leave a row drawn left to right, so the check is not vacuous");
    }

    /// <summary>Masks the input chunk by chunk as the masker does, checking the screen after every event and every step of a push; returns how many checks found a row drawn left to right.</summary>
    private static int Drive(byte[] input, int[] chunks, bool separate, bool flush, string because)
    {
        var profile = MaskingProfile.Default;
        var secrets = new SecretRegistry();
        var plan = new MaskPlan();
        var combined = new LinearView(profile, secrets);
        var screen = new ScreenView(profile, secrets, combined.Text, plan, 80, 24);
        var payloads = new StringPayloads(extra => new LinearView(profile, secrets, extra));
        var parser = new TerminalParser { SeparateRedraws = separate };
        var checker = new Checker(screen, because);
        var sink = new CheckingSink(new CombinedSink(combined, screen, payloads), checker);
        var offset = 0;
        foreach (var size in chunks)
        {
            parser.Feed(input.AsSpan(offset, size), offset, sink);
            offset += size;
            var frontier = Math.Min(combined.Decide(plan, offset, final: false), screen.Decide(plan, offset, final: false));
            checker.Check("decided");
            combined.Released(frontier);
            screen.Released(frontier);
            combined.Compact(screen.KeepFrom());
            screen.Compact(long.MaxValue);
            checker.Check("compacted");
            if (flush)
            {
                screen.Flush(plan, offset);
                screen.Released(offset);
                checker.Check("flushed");
            }
        }

        parser.Finish(sink);
        screen.Finish();
        checker.Check("finished");
        return checker.LeftToRight;
    }

    private static byte[] Input(string label) =>
        label == "a bulk cat with progress bars"
            ? BulkCat(1200)
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

    /// <summary>A PTY's bulk <c>cat</c> as the bench makes it: coloured lines, CR LF, a progress bar redrawn on some lines.</summary>
    private static byte[] BulkCat(int size)
    {
        var random = new Random(5);
        var text = new StringBuilder(size + 256);
        while (text.Length < size)
        {
            switch (random.Next(3))
            {
                case 0:
                    text.Append($"drwxr-xr-x  2 agent agent {random.Next(100, 99999),6} {Esc}[01;34msrc{Esc}[0m\r\n");
                    break;
                case 1:
                    for (var step = 0; step <= 100; step += 25)
                    {
                        text.Append($"\rDownloading {(random.Next(2) == 0 ? "a" : "app.py")}: {step,3}% [{new string('#', step / 10),-10}]{Esc}[K");
                    }

                    text.Append("\r\n");
                    break;
                default:
                    text.Append($"{Esc}[32m[08:{random.Next(0, 60):00}]{Esc}[0m INFO request handled\r\n");
                    break;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, size));
    }

    private sealed class Checker(ScreenView screen, string because)
    {
        public int LeftToRight { get; private set; }

        public void Check(string after)
        {
            screen.LeftToRightHolds.Should().BeTrue($"after {after}, {because}");
            if (screen.DrawnLeftToRight)
            {
                LeftToRight++;
            }
        }
    }

    /// <summary>Hands every event to the masker's sink, then checks the screen.</summary>
    private readonly struct CheckingSink(CombinedSink inner, Checker checker) : ITerminalSink
    {
        public void Visible(ReadOnlySpan<byte> text, long rawOffset)
        {
            inner.Visible(text, rawOffset);
            checker.Check($"text at {rawOffset}");
        }

        public void Control(byte control, long rawOffset)
        {
            inner.Control(control, rawOffset);
            checker.Check($"control {control:X2} at {rawOffset}");
        }

        public void Csi(in CsiSequence sequence, long rawOffset)
        {
            inner.Csi(sequence, rawOffset);
            checker.Check($"CSI {(char)sequence.Final} at {rawOffset}");
        }

        public void Escape(byte intermediate, byte final, long rawOffset)
        {
            inner.Escape(intermediate, final, rawOffset);
            checker.Check($"escape at {rawOffset}");
        }

        public void StringStart(byte introducer, long rawOffset) => inner.StringStart(introducer, rawOffset);

        public void StringBytes(ReadOnlySpan<byte> payload, long rawOffset) => inner.StringBytes(payload, rawOffset);

        public void StringEnd(long rawOffset) => inner.StringEnd(rawOffset);

        public void Redraw(long carriageReturn, ReadOnlySpan<byte> text, bool eraseToEnd)
        {
            inner.Redraw(carriageReturn, text, eraseToEnd);
            checker.Check($"redraw at {carriageReturn}");
        }
    }
}
