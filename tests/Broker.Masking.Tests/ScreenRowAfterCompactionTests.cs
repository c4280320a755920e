using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The screen model knows the cursor's row from the last absolute position plus the line feeds since, counted in the
/// combined text. Once more than 32 KiB of output have gone by, the combined text is compacted: the line feeds before the
/// compaction point must still count, or a cursor move to the row the cursor is on (the bottom row, after a long
/// <c>cat</c>) is taken for a move to another row and what the row shows is forgotten.
/// </summary>
public class ScreenRowAfterCompactionTests
{
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];

    [Fact]
    public void A_token_completed_on_the_bottom_row_after_a_long_output_is_masked_at_every_split() =>
        // The combined text reads the prefix, blanks and the body apart; only the screen shows them together.
        ShouldBeMaskedAtEverySplitOfTheTail(48 * 1024, $"      {Prefix} (pending)\u001b[24;11H{Body}\r\n$ ");

    [Fact]
    public void A_token_completed_on_the_row_above_the_bottom_after_a_long_output_is_masked_at_every_split() =>
        // The cursor's row is not counted once it is on the bottom row (a line feed leaves it there): the row above it
        // still is, or the move back to it is taken for a move to another row and the prefix is forgotten.
        ShouldBeMaskedAtEverySplitOfTheTail(40 * 1024, $"\u001b[23;1H      {Prefix} (pending)\u001b[23;11H{Body}\r\n$ ");

    /// <summary>A directory listing of <paramref name="fillerBytes"/> scrolls the screen, then <paramref name="tail"/> draws the token.</summary>
    private static void ShouldBeMaskedAtEverySplitOfTheTail(int fillerBytes, string tail)
    {
        var filler = new StringBuilder();
        for (var line = 0; filler.Length < fillerBytes; line++)
        {
            filler.Append($"drwxr-xr-x  2 agent agent {line,6} src\r\n");
        }

        var input = Encoding.UTF8.GetBytes(filler + tail);
        var tailStart = input.Length - Encoding.UTF8.GetByteCount(tail);
        foreach (var flush in new[] { false, true })
        {
            for (var at = tailStart; at < input.Length; at++)
            {
                var (output, _) = Mask.OnScreen(input, Mask.SplitAt(input, at), flush);
                var text = Encoding.UTF8.GetString(output);
                // A piece of the body drawn before the rest may go out (it completes nothing on the screen yet); the rest,
                // which completes the token on the row, must not.
                text.Should().NotContain(Body[^8..], $"split at {at}, flush {flush}");
                text.Should().Contain("[MASKED:github-token]", $"split at {at}, flush {flush}");
            }
        }
    }
}
