using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The end of the text decided once, from the byte classes, and the anchored heads' look-behind not checked again where
/// it did nothing: each against the plain result, at every split point, in three pushes and across two streams.
/// </summary>
public class EndOfTextTests
{
    // Heads inside long runs of token characters (paths, hashes, glued prefixes), right after their separators.
    private static readonly string[] s_tokens =
    [
        SecretCorpus.GitHubClassic, SecretCorpus.Slack, SecretCorpus.Npm, SecretCorpus.AccessKeyId, SecretCorpus.Jwt,
        SecretCorpus.GitHubFineGrained, "Xy18Q~" + Fake.Of(Fake.Alnum + "_~.-", 34, 9),
    ];

    private static readonly string[] s_ordinary =
    [
        "/usr/lib/x86_64-linux-gnu/libssl.so.3\n", "commit 0123456789abcdef0123456789abcdef01234567\n", "see the docs ",
        "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d ", "ok\n", "   indented words\n", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY==\n",
        "\u001b[32mgreen\u001b[0m\r\n", "x=1 ",
    ];

    [Fact]
    public void The_run_start_read_from_the_classes_is_that_of_a_byte_walk_at_every_end()
    {
        var random = new Random(5);
        const string alphabet = "aZ09_-.~+/= \n\r\t:(é";
        for (var round = 0; round < 100; round++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 300);
            while (text.Length < length)
            {
                text.Append(random.Next(5) == 0 ? new string('q', random.Next(1, 140)) : alphabet[random.Next(alphabet.Length)].ToString());
            }

            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            var classes = ByteClasses.Of(bytes);
            for (var end = 0; end <= bytes.Length; end++)
            {
                Assert.Equal(Walk(bytes, end, TokenRuns.IsTokenChar), ByteClasses.RunStart(classes.Token, end));
                Assert.Equal(Walk(bytes, end, ByteClass.IsBase64), ByteClasses.RunStart(classes.Base64, end));
            }
        }
    }

    [Fact]
    public void Tokens_inside_long_runs_are_masked_the_same_at_every_split_point_and_in_three_pushes()
    {
        var text = $"/opt/app/releases/20261206/MY_{SecretCorpus.GitHubClassic}/bin run\n" +
            $"ref=0123456789abcdef0123456789abcdef-{SecretCorpus.AccessKeyId}.{SecretCorpus.Npm} done\n" +
            $"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d_{SecretCorpus.Slack}\n{s_tokens[^1]} x/{SecretCorpus.Jwt}\n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Counts.Should().ContainKeys("github-token", "aws-access-key-id", "npm-token", "slack-token", "vendor-token", "jwt");

        // A cut that leaves one to three bytes of a secret at the end may release them (runs under four bytes may show).
        var heads = s_tokens.Select(t => text.IndexOf(t, StringComparison.Ordinal)).Where(h => h >= 0).ToArray();
        for (var at = 1; at < input.Length; at++)
        {
            var second = (at * 11) % input.Length;
            int[] three = second > 0 && second < at ? [second, at - second, input.Length - at] : [at, input.Length - at];
            var run = Mask.Run(input, three);
            run.ShouldNotLeak(s_tokens);
            if (!heads.Any(h => (at > h && at < h + 4) || (second > h && second < h + 4)))
            {
                Mask.Run(input, Mask.SplitAt(input, at)).Output.Should().Be(whole.Output, $"split at {at}");
                run.Output.Should().Be(whole.Output, $"split at {string.Join(",", three)}");
            }
        }

        whole.ShouldNotLeak(s_tokens);
    }

    [Fact]
    public void Tokens_and_key_lines_on_two_streams_leak_nothing_whatever_the_pushes()
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var pushes = new List<(int Channel, byte[] Bytes)>();
            foreach (var channel in new[] { 1, 2 })
            {
                var text = new StringBuilder();
                for (var line = 0; line < 12; line++)
                {
                    text.Append(s_ordinary[random.Next(s_ordinary.Length)]);
                    if (random.Next(3) == 0)
                    {
                        text.Append("path/to/").Append(random.Next(2) == 0 ? "v1/" : string.Empty).Append(s_tokens[random.Next(s_tokens.Length)]).Append('\n');
                    }
                }

                text.Append("\n  ").Append(string.Join("\r\n  ", SecretCorpus.PemBody.Take(3))).Append("\r\n");
                var bytes = Encoding.UTF8.GetBytes(text.ToString());
                for (var offset = 0; offset < bytes.Length;)
                {
                    var size = Math.Min(bytes.Length - offset, 1 + random.Next(random.Next(2) == 0 ? 9 : 300));
                    pushes.Add((channel, bytes[offset..(offset + size)]));
                    offset += size;
                }
            }

            // The two streams' pushes interleaved in a random order, each stream's own order kept.
            var ordered = Interleave(pushes, random);
            var run = ChannelRun.Of(ordered, options: MaskerOptions.TextOnly);
            // The key lines are masked whole on both streams (as a key body, or as a secret access key after an AKIA id).
            run.ShouldNotLeak([.. s_tokens, .. SecretCorpus.PemBody.Take(3)]);
            run.Counts.Should().NotBeEmpty($"seed {seed}");
        }
    }

    [Fact]
    public void A_glued_token_cut_after_its_first_bytes_shows_at_most_those_bytes()
    {
        // Held only from its third byte on when glued to a path or a name, a head cut after one or two bytes released them;
        // the next push must mask the rest, not show it whole because the head now starts before the scan's start.
        foreach (var token in new[] { SecretCorpus.GitHubClassic, SecretCorpus.Npm, SecretCorpus.Slack })
        {
            foreach (var glue in new[] { "path/to/v1/", "MY_", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d path/" })
            {
                var text = $"x=1 {glue}{token}\nok\n";
                var input = SecretCorpus.Bytes(text);
                var head = text.IndexOf(token, StringComparison.Ordinal);
                for (var at = head + 1; at <= head + 3; at++)
                {
                    var run = Mask.Run(input, Mask.SplitAt(input, at));
                    run.ShouldNotLeak(token);
                    run.Counts.Should().NotBeEmpty($"{glue}{token} cut at {at}");
                }
            }
        }
    }

    [Fact]
    public void Access_key_ids_and_jwts_glued_or_not_leak_nothing_at_any_cut()
    {
        // A head that starts before the scan's start is judged again: a cut anywhere must still show no four bytes.
        foreach (var (secret, glues) in new[] { (SecretCorpus.AccessKeyId, new[] { " ", " MY_", " path/" }), (SecretCorpus.Jwt, [" ", " path/", " abc/", " MY_", " x-"]) })
        {
            foreach (var glue in glues)
            {
                var input = SecretCorpus.Bytes($"x=1{glue}{secret} ok\n");
                for (var at = 1; at < input.Length; at++)
                {
                    var run = Mask.Run(input, Mask.SplitAt(input, at));
                    run.ShouldNotLeak(secret);
                    run.Counts.Should().NotBeEmpty($"{glue}{secret} cut at {at}");
                }
            }
        }
    }

    public static TheoryData<string> KeyLines() =>
    [
        string.Join("\n", SecretCorpus.PemBody.Take(4)) + "\n",
        "  " + string.Join("\r\n  ", SecretCorpus.PemBody.Take(4)) + "\r\n",
        "\t" + string.Join("\n\t", SecretCorpus.PemBody.Take(3)) + "\n\t" + SecretCorpus.PemBody[3][..40] + "==\n",
    ];

    [Theory]
    [MemberData(nameof(KeyLines))]
    public void A_key_body_cut_anywhere_after_words_indentation_or_padding_is_masked_the_same(string lines)
    {
        var text = "total 48 words then\n" + lines + "after the key x=QUJD " + "\n   \n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().Contain("[MASKED:private-key-body]");
        whole.ShouldNotLeak(SecretCorpus.PemBody[1]);

        // A block cut one to three bytes into its first line releases them (a keystroke's echo is not held).
        var first = text.IndexOf(SecretCorpus.PemBody[0][..8], StringComparison.Ordinal);
        for (var at = 1; at < input.Length; at++)
        {
            var second = (at * 7) % input.Length;
            int[] three = second > 0 && second < at ? [second, at - second, input.Length - at] : [at, input.Length - at];
            var run = Mask.Run(input, three);
            run.ShouldNotLeak(SecretCorpus.PemBody[1], SecretCorpus.PemBody[2]);
            if (!(at > first && at < first + 4) && !(second > first && second < first + 4))
            {
                Mask.Run(input, Mask.SplitAt(input, at)).Output.Should().Be(whole.Output, $"split at {at}");
                run.Output.Should().Be(whole.Output, $"split at {string.Join(",", three)}");
            }
        }
    }

    private static int Walk(byte[] bytes, int end, Func<byte, bool> inClass)
    {
        var start = end;
        while (start > 0 && inClass(bytes[start - 1]))
        {
            start--;
        }

        return start;
    }

    private static List<(int Channel, byte[] Bytes)> Interleave(List<(int Channel, byte[] Bytes)> pushes, Random random)
    {
        var queues = pushes.GroupBy(p => p.Channel).Select(g => new Queue<(int, byte[])>(g)).ToList();
        var ordered = new List<(int Channel, byte[] Bytes)>();
        while (queues.Any(q => q.Count > 0))
        {
            var open = queues.Where(q => q.Count > 0).ToList();
            ordered.Add(open[random.Next(open.Count)].Dequeue());
        }

        return ordered;
    }
}
