using System.Text;
using Broker.Masking.Tests.Support;
using Broker.TestSupport.Terminal;

namespace Broker.Masking.Tests;

/// <summary>
/// A token split across a redraw of its row: part of it is held (on the screen or in the combined text) when the row is
/// redrawn cleanly after a carriage return, which is not scanned on the screen and clears what the screen held; the rest
/// comes after. Judged by a real terminal (@xterm/headless) at every split point, with and without the hold delay firing
/// after every chunk (which releases what is held as early as the masker ever does).
/// </summary>
public class EarlyRedrawTests
{
    private const string Esc = "\u001b";
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];

    private static readonly (string Label, string Output)[] s_attacks =
    [
        // The screen holds "ghp_" + 20 characters (drawn out of order), a blank clean redraw erases the row, then the token is drawn in order.
        ("held on the screen, erased by a clean redraw, drawn again", $"{Esc}[5G{Body[..20]}\r{Prefix}\r {Esc}[K\r{Token}\r\n$ "),
        // The prefix is a clean redraw at the row's start; the body follows after a cursor jump to where it continues.
        ("the prefix as a clean redraw, the body after a jump", $"\r{Prefix}{Esc}[K{Esc}[5G{Body}\r\n$ "),
        // Half the token as a clean redraw, redrawn early with the same half, then the other half drawn at its column.
        ("half as a clean redraw, redrawn early, the rest at its column", $"\r {Token[..20]}{Esc}[K\r {Token[..20]}{Esc}[K{Esc}[22G{Token[20..]}\r\n$ "),
        // The body as a clean redraw behind a blank, then the prefix drawn into the blank's place after a backspace-free jump.
        ("the body as a clean redraw, the prefix written over the blanks before it", $"\r    {Body}{Esc}[K\r{Prefix}\r\n$ "),
        // A progress line redrawn with a growing part of the token, then finished after a jump back to its end.
        ("a progress line growing into the token, finished after a jump", $"\r[{Token[..12]}]{Esc}[K\r[{Token[..30]}]{Esc}[K{Esc}[32G{Token[30..]}]\r\n$ "),
    ];

    public static TheoryData<string> Attacks() => [.. s_attacks.Select(a => a.Label)];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Unmasked_the_attack_draws_the_token(string label)
    {
        var screen = await XtermScreen.RenderAsync(Encoding.UTF8.GetBytes(Output(label)));

        screen.Shows(Token).Should().BeTrue($"the attack must draw the token on a real terminal:\n{screen.Text}");
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Masked_no_token_is_on_the_screen_at_any_split_with_or_without_the_hold_delay(string label)
    {
        var input = Encoding.UTF8.GetBytes(Output(label));
        var outputs = new List<(string Split, byte[] Output)>();
        foreach (var flush in new[] { false, true })
        {
            outputs.Add(($"byte by byte, flush {flush}", Masked(input, Mask.OneByOne(input), flush)));
            for (var at = 0; at < input.Length; at++)
            {
                outputs.Add(($"split at {at}, flush {flush}", Masked(input, Mask.SplitAt(input, at), flush)));
            }
        }

        var screens = await XtermScreen.RenderAsync(outputs.Select(o => (80, 24, o.Output)));

        for (var i = 0; i < outputs.Count; i++)
        {
            screens[i].Shows(Token).Should().BeFalse($"{outputs[i].Split}: the token must not be on the screen:\n{screens[i].Text}\n(output {Encoding.UTF8.GetString(outputs[i].Output)})");
            Mask.Run(screens[i].Text).Counts.Should().NotContainKey("github-token", $"{outputs[i].Split}: nothing on the screen may look like a token:\n{screens[i].Text}");
        }
    }

    private static string Output(string label) => s_attacks.Single(a => a.Label == label).Output;

    private static byte[] Masked(byte[] input, IReadOnlyList<int> chunks, bool flush) => Mask.OnScreen(input, chunks, flush).Output;
}
