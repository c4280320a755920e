using System.Text;
using Broker.Masking.Tests.Support;
using Broker.TestSupport.Terminal;

namespace Broker.Masking.Tests;

/// <summary>
/// Screen-aware masking judged by a real terminal emulator (@xterm/headless): each attack draws a token whole on the
/// screen when unmasked (the oracle confirms the attack), and after masking no token is on the screen, however the
/// output is cut into chunks. Ordinary full-screen output is left as it is.
/// </summary>
public class RenderedScreenTests
{
    public static TheoryData<string> Attacks() => [.. ScreenAttacks.All.Select(a => a.Label)];

    private static ScreenAttack Attack(string label) => ScreenAttacks.All.Single(a => a.Label == label);

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Unmasked_output_draws_the_token_on_the_screen(string label)
    {
        var attack = Attack(label);

        var screen = await XtermScreen.RenderAsync(attack.Bytes, attack.Columns);

        screen.Shows(attack.Secret).Should().BeTrue($"the attack must work on a real terminal:\n{screen.Text}");
        Encoding.UTF8.GetString(attack.Bytes).Should().NotContain(attack.Secret, "the bytes never hold the token in one piece");
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Masked_output_shows_no_token_on_the_screen_at_any_split(string label)
    {
        var attack = Attack(label);
        var input = attack.Bytes;
        var outputs = new List<(string Split, byte[] Output)> { ("whole", Masked(input, Mask.Whole(input))), ("byte by byte", Masked(input, Mask.OneByOne(input))) };
        for (var at = 1; at < input.Length; at++)
        {
            outputs.Add(($"split at {at}", Masked(input, Mask.SplitAt(input, at))));
        }

        var screens = await XtermScreen.RenderAsync(outputs.Select(o => (attack.Columns, 24, o.Output)));

        for (var i = 0; i < outputs.Count; i++)
        {
            screens[i].Shows(attack.Secret).Should().BeFalse($"{outputs[i].Split}: the token must not be on the screen:\n{screens[i].Text}\n(output {Encoding.UTF8.GetString(outputs[i].Output)})");
            Mask.Run(screens[i].Text).Counts.Should().NotContainKey("github-token", $"{outputs[i].Split}: nothing on the screen may look like a token:\n{screens[i].Text}");
        }
    }

    [Fact]
    public async Task Ordinary_full_screen_output_is_not_changed()
    {
        const string esc = "\u001b";
        var output = new StringBuilder($"{esc}[?1049h{esc}[H{esc}[2J");
        for (var row = 1; row <= 20; row++)
        {
            output.Append($"{esc}[{row};1H{esc}[K{row,4} {esc}[32mroot{esc}[0m  {(row * 37) % 100,3}%  {esc}[{row};40H/usr/lib/systemd/systemd-{row}");
        }

        output.Append($"{esc}[22;1H 45% [=========>          ] 1.2 MB/s\r 90% [==================> ] 2.4 MB/s\r\n");
        output.Append("foo\b\b\bbar -- backspaced over\r\n");
        var text = output.ToString();

        var run = Mask.Run(text);

        run.Output.Should().Be(text);
        run.Counts.Should().BeEmpty();
    }

    [Fact]
    public async Task Secret_drawn_on_the_screen_is_masked_under_every_replacement_style()
    {
        var attack = ScreenAttacks.All[0];
        var sameLength = Mask.Profile(new MaskingSettings { Replacement = ReplacementStyle.SameLength });

        var output = Encoding.UTF8.GetBytes(Mask.Run(attack.Bytes, Mask.Whole(attack.Bytes), sameLength).Output);
        var screen = await XtermScreen.RenderAsync(output);

        screen.Shows(attack.Secret).Should().BeFalse(screen.Text);
        screen.Lines[0].Should().Contain("****", "same-length masking keeps the layout");
    }

    [Fact]
    public void The_issue_case_masks_the_bytes_that_drew_the_token()
    {
        var attack = ScreenAttacks.All[0];

        Mask.Run(attack.Output).Output.Should().Be("\u001b[5G[MASKED:github-token]\r\r\n$ ");
    }

    private static byte[] Masked(byte[] input, int[] sizes) => Encoding.UTF8.GetBytes(Mask.Run(input, sizes).Output);
}
