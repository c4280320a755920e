using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests.Corpus;

/// <summary>
/// Every token format the masker masks whole is masked whatever push boundary the output falls on: a program that prints
/// a token in two writes (`printf gl; printf 'pat-…'`) must not get it past the masker, wherever it cuts. (A stall, the
/// hold delay passing inside a prefix, may show the prefix's first bytes: docs/masking.md, "Hold delay".)
/// </summary>
public class TokenFormatSplitTests
{
    public static TheoryData<string> Formats()
    {
        var data = new TheoryData<string>();
        foreach (var format in TokenFormatCorpus.All)
        {
            data.Add(format.Format);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_token_masked_whole_is_masked_at_every_split_point_in_two_and_three_pushes_on_the_text_path_and_the_screen(string name)
    {
        foreach (var format in TokenFormatCorpus.All.Where(f => f.Format == name))
        {
            var input = Encoding.UTF8.GetBytes(format.Line + "\n");
            var whole = Mask.Run(input, Mask.Whole(input));
            if (whole.Output.Contains(format.Secret, StringComparison.Ordinal))
            {
                // Not detected at all: the corpus measures recall, and this test is about splits.
                continue;
            }

            var secret = Confidential(format);
            var screenWhole = Screen(input, Mask.Whole(input), flush: false);
            for (var at = 1; at < input.Length; at++)
            {
                ShouldShowNoMoreThanWhole(Mask.Run(input, Mask.SplitAt(input, at)).Output, whole.Output, secret, $"split at {at}");
                ShouldShowNoMoreThanWhole(Screen(input, Mask.SplitAt(input, at), flush: false), screenWhole, secret, $"screen, split at {at}");
                var second = Math.Min(input.Length - 1, at + 1 + (at % 5));
                if (second > at)
                {
                    ShouldShowNoMoreThanWhole(Mask.Run(input, [at, second - at, input.Length - second]).Output, whole.Output, secret, $"split at {at} and {second}");
                }
            }
        }
    }

    private static string Screen(byte[] input, int[] chunks, bool flush) => Encoding.UTF8.GetString(Mask.OnScreen(input, chunks, flush).Output);

    // A Telegram bot token is the bot's public numeric id, a colon, then the secret: the id is found as part of the token
    // only once the colon and the head after it arrive, so a cut inside the id shows the digits before the cut.
    internal static string Confidential(TokenFormat format) =>
        format.Format == "Telegram bot token" ? format.Secret[(format.Secret.IndexOf(':', StringComparison.Ordinal) + 1)..] : format.Secret;

    /// <summary>No four bytes of the secret show that the whole push does not show (its line may share words with it).</summary>
    private static void ShouldShowNoMoreThanWhole(string output, string whole, string secret, string because)
    {
        foreach (var gram in Mask.Grams(secret).Select(g => Encoding.UTF8.GetString(g)))
        {
            if (!whole.Contains(gram, StringComparison.Ordinal))
            {
                output.Should().NotContain(gram, $"{because}: '{gram}' of '{secret}' leaked in:\n{output}");
            }
        }
    }
}
