using System.Buffers;
using System.Text;
using Broker.Masking.Detectors;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The edges of the scanning shortcuts: the look-behind search that resumes at the last needle found,
/// the card shape judged per vector block, the tail searches that skip to possible first characters,
/// and the pooled window buffers.
/// </summary>
public class FastPathTests
{
    private const string Filler = "drwxr-xr-x 2 agent agent 4096 Nov 26 08:00 build\n";

    [Fact]
    public void Key_id_in_the_look_behind_still_finds_its_secret_pushed_byte_by_byte_many_pushes_later()
    {
        // 90 bytes between key and secret: the key id leaves the newest chunk long before its secret arrives.
        var text = $"{SecretCorpus.AccessKeyId} then some text that is not a secret at all, with words only....\n{SecretCorpus.SecretAccessKey}\n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().Contain("[MASKED:aws-secret-access-key]");

        Mask.Run(input, Mask.OneByOne(input)).Output.Should().Be(whole.Output);
        for (var seed = 0; seed < 50; seed++)
        {
            var run = Mask.Run(input, Mask.Random(input, seed, maxChunk: 7));
            run.Output.Should().Be(whole.Output, $"seed {seed}");
            run.ShouldNotLeak(SecretCorpus.AccessKeyId, SecretCorpus.SecretAccessKey);
        }
    }

    [Fact]
    public void Needle_split_across_chunks_at_every_offset_after_a_needle_free_stretch_is_found()
    {
        var text = Filler + Filler + $"db_password: {SecretCorpus.KeywordPassword}\n" + Filler;
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().Contain("[MASKED:keyword-secret]");

        for (var at = 1; at < input.Length; at++)
        {
            var first = Math.Min(at, 40);
            int[] sizes = at <= 40 ? Mask.SplitAt(input, at) : [first, at - first, input.Length - at];
            var run = Mask.Run(input, sizes);
            run.Output.Should().Be(whole.Output, $"split at {at}");
            run.ShouldNotLeak(SecretCorpus.KeywordPassword);
        }
    }

    [Fact]
    public void Key_value_right_after_a_pem_block_is_found_whatever_the_chunking()
    {
        var text = "$ cat id_rsa\n" + SecretCorpus.Pem + $"password={SecretCorpus.KeywordPassword}\n" + Filler;
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().Contain("[MASKED:pem-private-key]").And.Contain("[MASKED:keyword-secret]");

        for (var seed = 0; seed < 60; seed++)
        {
            var run = Mask.Run(input, Mask.Random(input, seed, maxChunk: seed % 3 == 0 ? 5 : 120));
            run.Output.Should().Be(whole.Output, $"seed {seed}");
            run.ShouldNotLeak([.. SecretCorpus.PemBody, SecretCorpus.KeywordPassword]);
        }
    }

    [Fact]
    public void Trigger_with_ansi_inside_and_multi_byte_text_around_it_is_masked_at_every_split()
    {
        var text = $"é€ 😀 key AKIA\u001b[31mUJZDE8GXD6NC\u001b[0mF10E ünïcode\nnext ghp_\u001b[1mwd1iaeOV4qBkdfQ1y3GQsMpSscDlkrCaqx9v ✓\n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().Contain("[MASKED:aws-access-key-id]").And.Contain("[MASKED:github-token]").And.Contain("é€ 😀 key ").And.Contain(" ünïcode");

        Mask.Run(input, Mask.OneByOne(input)).Output.Should().Be(whole.Output);
        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at)).Output.Should().Be(whole.Output, $"split at {at}");
        }
    }

    public static TheoryData<string> CardForms() => ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005", "5555555555554444"];

    [Theory]
    [MemberData(nameof(CardForms))]
    public void Card_is_masked_at_every_position_across_vector_blocks(string card)
    {
        // Offsets 0..140 put the card's first digit in every lane of a 32- and a 64-byte block, and across both.
        for (var offset = 0; offset <= 140; offset++)
        {
            var prefix = new string('x', offset) + " ";
            var text = prefix + card + " exp 12/29\n";

            var run = Mask.Run(text);

            run.Output.Should().Be(prefix + "[MASKED:credit-card] exp 12/29\n", $"card at offset {offset}");
        }
    }

    [Fact]
    public void Numbers_that_can_never_become_a_card_are_left_alone_at_every_position()
    {
        string[] nonCards = ["41111 1111 1111 1111", "4111 1111 1111 1112", "411111111111", "4111 111 1111 1111", "1111 1111 1111 1111"];
        foreach (var number in nonCards)
        {
            for (var offset = 0; offset <= 70; offset++)
            {
                var text = new string('y', offset) + " " + number + "\n";
                Mask.Run(text).Output.Should().Be(text, $"'{number}' at offset {offset}");
            }
        }
    }

    [Fact]
    public void Card_ending_the_stream_within_the_last_nine_bytes_is_masked_in_any_chunking()
    {
        var text = Filler + "card 4111111111111111";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().EndWith("card [MASKED:credit-card]");

        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at)).Output.Should().Be(whole.Output, $"split at {at}");
        }
    }

    [Fact]
    public void Registered_secret_behind_decoy_first_characters_is_held_and_masked_at_every_split()
    {
        const string secret = "Hq3/UO8bdsKpLmW9x2Ry+TfGcE7nVaZ1kJ4sNwP0";
        var secrets = new SecretRegistry();
        secrets.Register("vault-token", secret);
        var text = $"HHH Hq3 Hq3/UO H{secret} Hq\n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input), secrets: secrets);
        whole.Output.Should().Be("HHH Hq3 Hq3/UO H[MASKED:vault-token] Hq\n");

        for (var at = 1; at < input.Length; at++)
        {
            // Equal to the exact expected text, so only the decoys (which share grams with the secret) are shown.
            Mask.Run(input, Mask.SplitAt(input, at), secrets: secrets).Output.Should().Be(whole.Output, $"split at {at}");
        }
    }

    [Fact]
    public void Long_stream_through_window_compaction_is_the_same_in_one_kib_and_random_chunks()
    {
        var text = new StringBuilder();
        var round = 0;
        while (text.Length < 200_000)
        {
            var sample = SecretCorpus.Samples[round++ % SecretCorpus.Samples.Count];
            text.Append(Filler).Append(sample.Text).Append(new string('.', round % 97)).Append('\n');
        }

        var input = SecretCorpus.Bytes(text.ToString());
        var secrets = SecretCorpus.Samples.SelectMany(s => s.Secrets).ToArray();
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.ShouldNotLeak(secrets);

        var kib = Enumerable.Repeat(1024, input.Length / 1024).Append(input.Length % 1024).Where(n => n > 0).ToArray();
        Mask.Run(input, kib).Output.Should().Be(whole.Output);
        for (var seed = 0; seed < 4; seed++)
        {
            var run = Mask.Run(input, Mask.Random(input, seed, maxChunk: 3000));
            run.Output.Should().Be(whole.Output, $"seed {seed}");
            run.ShouldNotLeak(secrets);
        }
    }

    [Theory]
    [InlineData("aabbcdef", 2.5)]
    [InlineData("aaaa", 0.0)]
    [InlineData("abcd", 2.0)]
    [InlineData("ab", 1.0)]
    public void Entropy_is_shannon_entropy_in_bits_per_character(string value, double expected)
    {
        SecretKeys.Entropy(Encoding.ASCII.GetBytes(value)).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void Entropy_of_long_values_with_repeated_bytes_matches_the_textbook_formula()
    {
        var random = new Random(7);
        for (var n = 1; n < 600; n += 37)
        {
            var value = new byte[n];
            for (var i = 0; i < n; i++)
            {
                value[i] = (byte)random.Next(0, random.Next(1, 256));
            }

            var expected = value.GroupBy(b => b).Sum(g => -((double)g.Count() / n) * Math.Log2((double)g.Count() / n));
            SecretKeys.Entropy(value).Should().BeApproximately(expected, 1e-9, $"length {n}");
        }
    }

    [Fact]
    public void Completed_masker_keeps_its_counts_and_refuses_more_output()
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry());
        var output = new ArrayBufferWriter<byte>();
        masker.Push(SecretCorpus.Bytes($"key {SecretCorpus.GitHubClassic}"), output);

        masker.Complete(output);

        masker.HasHeldBytes.Should().BeFalse();
        masker.Counts.Should().ContainKey("github-token").WhoseValue.Should().Be(1);
        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be("key [MASKED:github-token]");
        masker.Invoking(m => m.Push("x"u8, output)).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void A_masker_after_a_completed_one_sees_only_its_own_output()
    {
        var first = MaskingProfile.Default.CreateMasker(new SecretRegistry());
        var sink = new ArrayBufferWriter<byte>();
        first.Push(SecretCorpus.Bytes(new string('S', 70_000) + SecretCorpus.GitHubClassic), sink);
        first.Complete(sink);

        var run = Mask.Run("short\n");

        run.Output.Should().Be("short\n");
    }
}
