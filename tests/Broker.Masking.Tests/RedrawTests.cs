using System.Buffers;
using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// Rows redrawn in place after a carriage return (progress lines): a clean redraw is left to the combined view, a redraw
/// whose text reads differently in the combined text (glued to what was drawn before it) is still scanned on the screen.
/// </summary>
public class RedrawTests
{
    private const string Esc = "\u001b";
    private const string Card = "4111 1111 1111 1111";
    private static readonly string Token = SecretCorpus.GitHubClassic;

    /// <summary>A progress bar redrawn three times, the last time with a token in it; every redraw starts after a <c>]</c>.</summary>
    private static readonly string Progress =
        $"\rDownloading:   0% [          ]{Esc}[K\rDownloading:  50% [#####     ]{Esc}[K\rpushed {Token} [done]{Esc}[K\r\n$ ";

    [Fact]
    public void Clean_redraws_of_a_progress_line_are_not_scanned_again()
    {
        var (output, scans) = MaskWhole(Progress, MaskingProfile.Default);

        scans.Should().Be(0, "every redraw is one stretch of the combined text, which the combined view reads");
        output.Should().Contain("[MASKED:github-token]");
    }

    [Fact]
    public void A_token_in_a_clean_redraw_is_masked_at_every_split()
    {
        ShouldNotLeakAtAnySplit(Progress, Token);
    }

    [Fact]
    public void A_card_drawn_over_a_line_ending_in_a_digit_is_scanned_on_the_screen_and_masked_at_every_split()
    {
        // The combined text reads "size 124111 1111 1111 1111": no card there. The screen shows the card alone.
        var text = $"size 12\r{Card}{Esc}[K\r\n$ ";
        var (output, scans) = MaskWhole(text, MaskingProfile.Default);
        scans.Should().BeGreaterThan(0, "a redraw glued to a digit reads differently in the combined text");
        output.Should().Contain("[MASKED:credit-card]");
        ShouldNotLeakAtAnySplit(text, Card);
    }

    [Fact]
    public void A_redraw_shorter_than_the_row_is_scanned_with_what_is_left_of_the_row()
    {
        // No erase: "ghp_" is drawn over the filler and completes the token with the body drawn before. The combined text
        // reads "....<body> ghp_", and the blank before the redraw does not make the row its text.
        var text = $"....{Token[4..]} \rghp_\r\n$ ";
        var (output, scans) = MaskWhole(text, MaskingProfile.Default);

        scans.Should().BeGreaterThan(0);
        output.Should().NotContain(Token[4..]);
    }

    [Fact]
    public void With_custom_detectors_every_redraw_is_scanned()
    {
        var profile = Mask.Profile(new MaskingSettings { Custom = [new CustomDetector("corp-id", "CORP-[0-9]{6}")] });

        var (_, scans) = MaskWhole(Progress, profile);

        scans.Should().BeGreaterThan(0, "a custom pattern may read any context");
    }

    private static void ShouldNotLeakAtAnySplit(string text, string secret)
    {
        var input = Encoding.UTF8.GetBytes(text);
        Mask.Run(input, Mask.OneByOne(input)).ShouldNotLeak(secret);
        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at)).ShouldNotLeak(secret);
        }
    }

    private static (string Output, int Scans) MaskWhole(string text, MaskingProfile profile)
    {
        var masker = profile.CreateMasker(new SecretRegistry());
        var output = new ArrayBufferWriter<byte>();
        masker.Push(Encoding.UTF8.GetBytes(text), output);
        masker.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), masker.ScreenRowScans);
    }
}
