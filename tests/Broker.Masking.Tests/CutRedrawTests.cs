using System.Buffers;
using System.Text;
using Broker.Masking.Tests.Support;
using Broker.TestSupport.Terminal;

namespace Broker.Masking.Tests;

/// <summary>
/// A redraw cut by the end of a bulk push is held back to the last state the screen judged rather than scanned
/// (<c>ScreenView.CutRedraw.cs</c>). Each attack follows more than a kilobyte of ordinary output, so that the push that
/// cuts it is a bulk one, and draws a token on its row only in the state the cut leaves (the new redraw's start over the
/// old redraw's end) or after it. A real terminal (@xterm/headless) renders what was released after every push and after
/// the hold delay: no state the terminal is shown may hold the token, at every split point of the attack, with and without
/// the hold delay firing after each push.
/// </summary>
public class CutRedrawTests
{
    private const string Esc = "\u001b";
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];
    private static readonly string Filler = string.Concat(Enumerable.Range(0, 40).Select(i => $"build step {i,3}: compiled src/module{i}.cs\r\n"));

    private static readonly (string Label, string Output)[] s_attacks =
    [
        // All but the token's first two letters as a progress line behind two blanks, then a shorter redraw whose first two
        // letters complete it (two letters the combined text does not hold back once the hold delay fires).
        ("a shorter redraw writes the first letters over the blanks, then goes on", $"\r  {Token[2..]}]{Esc}[K\r{Token[..2]} done{Esc}[K\r\n$ "),
        // The same, and the row is left as the cut shows it: the cursor jumps away and the line ends.
        ("a shorter redraw writes the first letters over the blanks, then a jump", $"\r  {Token[2..]}]{Esc}[K\r{Token[..2]}{Esc}[70G!\r\n$ "),
        // The body as a progress line behind four blanks, then a shorter redraw whose first four letters are the prefix.
        ("a shorter redraw writes the prefix over the blanks, then goes on", $"\r    {Body}]{Esc}[K\r{Prefix} done{Esc}[K\r\n$ "),
        // A progress line whose earlier redraw holds the token's end, and a later one its start.
        ("two redraws of a progress line hold the two halves", $"\r[{new string(' ', 20)}{Token[20..]}]{Esc}[K\r[{Token[..20]}{Esc}[60G]\r\n$ "),
        // The prefix drawn left to right, then a redraw of the body after it, cut, then the row ends as the cut left it.
        ("a redraw draws the body behind a prefix that an earlier redraw left", $"\r{Prefix}{Body[..10]} 12%{Esc}[K\r{Prefix}{Body}\r\n$ "),
    ];

    public static TheoryData<string> Attacks() => [.. s_attacks.Select(a => a.Label)];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Unmasked_the_attack_draws_the_token_in_some_state(string label)
    {
        // Every prefix of the attack is a state a terminal can be left in: at least one of them shows the token.
        var attack = Encoding.UTF8.GetBytes(Attack(label));
        var screens = await XtermScreen.RenderAsync(Enumerable.Range(1, attack.Length).Select(n => (80, 24, attack[..n])));

        screens.Any(s => s.Shows(Token)).Should().BeTrue("the attack must draw the token in some state on a real terminal");
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Masked_no_released_state_shows_the_token_at_any_split_with_or_without_the_hold_delay(string label)
    {
        var filler = Encoding.UTF8.GetBytes(Filler);
        var input = Encoding.UTF8.GetBytes(Filler + Attack(label));
        var states = new List<(string Split, byte[] Output)>();
        var held = 0;
        foreach (var flush in new[] { false, true })
        {
            for (var at = filler.Length + 1; at < input.Length; at++)
            {
                var (released, cutsHeld) = Released(input, [at, input.Length - at], flush);
                held += cutsHeld;
                states.AddRange(released.Select((output, step) => ($"split at {at}, flush {flush}, state {step}", output)));
            }
        }

        held.Should().BeGreaterThan(0, "some split must leave a redraw cut by the end of the bulk push");
        var screens = await XtermScreen.RenderAsync(states.Select(s => (80, 24, s.Output)));
        for (var i = 0; i < states.Count; i++)
        {
            screens[i].Shows(Token).Should().BeFalse($"{states[i].Split}: the token must not be on the screen:\n{screens[i].Text}\n(output {Encoding.UTF8.GetString(states[i].Output)})");
            Mask.Run(screens[i].Text).Counts.Should().NotContainKey("github-token", $"{states[i].Split}: nothing on the screen may look like a token:\n{screens[i].Text}");
        }
    }

    [Fact]
    public void A_redraw_cut_by_a_bulk_push_is_held_back_to_the_start_of_its_row_and_released_with_the_next_push()
    {
        var row = "\rDownloading README.md:  50% [##########          ]\u001b[K\rDownloading src:  75% [####";
        var input = Encoding.UTF8.GetBytes(Filler + row + "###########     ]\u001b[K\r\n$ ");
        var cut = Encoding.UTF8.GetByteCount(Filler + row);

        var (released, held) = Released(input, [cut, input.Length - cut], flush: false);

        held.Should().Be(1);
        Encoding.UTF8.GetString(released[0]).Should().Be(Filler, "the cut row is held from its first carriage return");
        released[^1].Should().Equal(input, "everything goes out, unchanged, once the redraw is whole");
    }

    [Fact]
    public void A_redraw_cut_by_a_short_push_is_not_held_back()
    {
        // A keystroke's echo or a slow program's redraw: a push under a kilobyte goes out as the full path decides it.
        var input = Encoding.UTF8.GetBytes("\r$ git status --short\u001b[K\r$ git st");

        var (released, held) = Released(input, [input.Length], flush: false);

        held.Should().Be(0);
        released[0].Should().Equal(input);
    }

    [Fact]
    public void The_progress_corpus_in_bulk_pushes_goes_out_unchanged_and_holds_cut_redraws()
    {
        var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 400).Select(i =>
            i % 5 == 3
                ? string.Concat(Enumerable.Range(0, 5).Select(s => $"\rDownloading {(i * s % 3 == 0 ? "src" : "node_modules")}: {s * 25,3}% [{new string('#', s * 5),-20}]\u001b[K")) + "\r\n"
                : $"\u001b[32m[12:00:{i % 60:00}]\u001b[0m INFO  request {i} handled\r\n")));
        foreach (var flush in new[] { false, true })
        {
            var (released, held) = Released(input, Mask.Random(input, seed: 7, maxChunk: 4096).Select(n => Math.Max(n, 1)).ToArray(), flush);

            released[^1].Should().Equal(input, $"flush {flush}: no byte is lost, doubled or masked");
            if (!flush)
            {
                held.Should().BeGreaterThan(0);
            }
        }
    }

    private static string Attack(string label) => s_attacks.Single(a => a.Label == label).Output;

    /// <summary>What was released after each push (and after the hold delay, with <paramref name="flush"/>), and how many cut redraws were held.</summary>
    private static (List<byte[]> Released, int CutsHeld) Released(byte[] input, IReadOnlyList<int> chunks, bool flush)
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry(), MaskerOptions.Default with { Columns = 80, Rows = 24 });
        var output = new ArrayBufferWriter<byte>();
        var released = new List<byte[]>();
        var offset = 0;
        foreach (var size in chunks)
        {
            masker.Push(input.AsSpan(offset, size), output);
            offset += size;
            released.Add(output.WrittenSpan.ToArray());
            if (flush)
            {
                masker.FlushHeld(output);
                released.Add(output.WrittenSpan.ToArray());
            }
        }

        var held = masker.ScreenCutRedrawsHeld;
        masker.Complete(output);
        released.Add(output.WrittenSpan.ToArray());
        return (released, held);
    }
}
