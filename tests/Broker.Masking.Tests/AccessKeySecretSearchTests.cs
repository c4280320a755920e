using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The bare secret access key found near a key id (credentials CSV, text listings): the runs of base64 characters after
/// the id are read from the text's base64 bitmap, and each edge of the rule must hold at every split of the output.
/// </summary>
public class AccessKeySecretSearchTests
{
    private const string Zone = "aws-secret-access-key";

    [Theory]
    [InlineData(1)]
    [InlineData(60)]
    [InlineData(127)]
    public void A_secret_starting_inside_the_zone_after_the_key_id_is_masked(int gap)
    {
        var run = MaskAtEverySplit($"{SecretCorpus.AccessKeyId}{new string(' ', gap)}{SecretCorpus.SecretAccessKey}\n");

        run.Counts.Should().ContainKey(Zone);
        run.ShouldNotLeak(SecretCorpus.SecretAccessKey);
    }

    [Fact]
    public void A_secret_after_words_is_masked_wherever_the_zone_falls_on_the_bitmap_words()
    {
        // The words before the secret are runs of their own; at each offset the runs' starts and ends fall elsewhere in
        // the 64-bit words of the base64 bitmap, and the secret must be found at every one of them.
        for (var offset = 0; offset < 64; offset++)
        {
            var text = $"{new string(' ', offset)}{SecretCorpus.AccessKeyId} rotated by ci/deploy+ops on 2026-12-07, then {SecretCorpus.SecretAccessKey}\n";
            var run = Mask.Run(text);

            run.Counts.Should().ContainKey(Zone, $"the key id at offset {offset}");
            run.ShouldNotLeak(SecretCorpus.SecretAccessKey);
        }
    }

    [Theory]
    [InlineData("x" + SecretCorpus.SecretAccessKey, "a 41-character run is not a secret access key")]
    [InlineData("=" + SecretCorpus.SecretAccessKey, "a run after '=' is the tail of something else")]
    [InlineData(SecretCorpus.SecretAccessKey + "=", "a run followed by '=' is base64 padding, not a key")]
    public void A_run_that_breaks_the_rule_is_not_taken_for_the_secret(string value, string because)
    {
        var run = MaskAtEverySplit($"{SecretCorpus.AccessKeyId} {value}\n");

        run.Counts.Should().NotContainKey(Zone, because);
    }

    private static MaskRun MaskAtEverySplit(string text)
    {
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at)).Output.Should().Be(whole.Output, $"split at {at}");
        }

        return whole;
    }
}
