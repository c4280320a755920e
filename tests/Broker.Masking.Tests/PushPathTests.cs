using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The push path's work not done, each against the plain result at every split point: bytes written out from the
/// caller's chunk rather than from a copy (only what is held back is kept), needle prefixes looked for only in the run
/// of needle bytes the text ends with, and anchors offered to a shape detector only where its marker byte is.
/// </summary>
public class PushPathTests
{
    // Output that holds back without masking: cut keywords and token heads, short numbers, a base64 line, a lone card shape.
    private static readonly string[] s_heldButClean =
    [
        "total 48\n", "drwxr-xr-x 2 agent agent 4096 Nov 26 08:00 build\n", "see the pass", "word: token\n",
        "ghp_short\n", "4111 1111 22\n", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5\n",
        "MIIBsecret_api-k", "ey!\n", "\u001b[1mbold\u001b[0m\r\n", "AKI", "Private-Li", "\n",
    ];

    [Fact]
    public void Clean_output_on_two_streams_comes_out_byte_for_byte_whatever_the_pushes()
    {
        for (var seed = 0; seed < 60; seed++)
        {
            var random = new Random(seed);
            var pushes = new List<(int Channel, byte[] Bytes)>();
            var expected = new Dictionary<int, StringBuilder> { [1] = new(), [2] = new() };
            var text = string.Concat(Enumerable.Range(0, 40).Select(_ => s_heldButClean[random.Next(s_heldButClean.Length)]));
            var bytes = Encoding.UTF8.GetBytes(text);
            for (var offset = 0; offset < bytes.Length;)
            {
                var size = Math.Min(bytes.Length - offset, 1 + random.Next(random.Next(2) == 0 ? 8 : 200));
                var channel = 1 + random.Next(2);
                pushes.Add((channel, bytes[offset..(offset + size)]));
                expected[channel].Append(Encoding.UTF8.GetString(bytes, offset, size));
                offset += size;
            }

            var run = ChannelRun.Of(pushes, options: MaskerOptions.TextOnly);

            run.Counts.Should().BeEmpty($"seed {seed} holds no secret");
            run.Text(1).Should().Be(expected[1].ToString(), $"seed {seed}");
            run.Text(2).Should().Be(expected[2].ToString(), $"seed {seed}");
        }
    }

    [Fact]
    public void Output_with_secrets_is_the_same_split_at_every_point_and_in_three_pushes()
    {
        var text = "drwxr-xr-x 2 agent agent 4096 Nov 26 08:00 build\nsee the pass" + $"word={SecretCorpus.KeywordPassword} and {SecretCorpus.GitHubClassic}\n" +
            "total 48\n" + SecretCorpus.Pem + "card " + SecretCorpus.Card + " ok\n" + $"{SecretCorpus.AccessKeyId} {SecretCorpus.SecretAccessKey}\n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().Contain("[MASKED:keyword-secret]").And.Contain("[MASKED:github-token]").And.Contain("[MASKED:pem-private-key]");

        for (var at = 1; at < input.Length; at++)
        {
            var run = Mask.Run(input, Mask.SplitAt(input, at));
            run.Output.Should().Be(whole.Output, $"split at {at}");
            var second = (at * 7) % input.Length;
            int[] three = second > 0 && second < at ? [second, at - second, input.Length - at] : [at, input.Length - at];
            Mask.Run(input, three).Output.Should().Be(whole.Output, $"split at {string.Join(",", three)}");
        }

        Mask.Run(input, Mask.OneByOne(input)).Output.Should().Be(whole.Output);
        whole.ShouldNotLeak(SecretCorpus.KeywordPassword, SecretCorpus.GitHubClassic, SecretCorpus.SecretAccessKey);
    }

    public static TheoryData<string> Keys() =>
    [
        "DB_PASSWORD", "x_api_pwd", "service_secret", "auth_token", "my_api_key", "apikey", "x-api-key", "aws_access_key",
        "accesskey", "private_key", "privatekey", "app_key", "appkey", "admin_key", "master_key", "signing_key",
        "encryption_key", "gh_pat", "token_secret_pass", "secret_api_key_token",
    ];

    [Theory]
    [MemberData(nameof(Keys))]
    public void A_key_cut_anywhere_after_other_keyword_bytes_is_found(string key)
    {
        // The key's bytes before the cut are themselves needle bytes: the cut-off needle is still looked for there.
        var text = $"ok 12 ab {key}={SecretCorpus.KeywordPassword}\nnext line\n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Counts.Should().NotBeEmpty();

        for (var at = 1; at < input.Length; at++)
        {
            var run = Mask.Run(input, Mask.SplitAt(input, at));
            run.Output.Should().Be(whole.Output, $"split at {at}");
            run.ShouldNotLeak(SecretCorpus.KeywordPassword);
        }
    }

    [Fact]
    public void Putty_private_lines_cut_anywhere_are_masked()
    {
        var body = string.Join("\n", SecretCorpus.PemBody.Take(4));
        var text = $"PuTTY-User-Key-File-3: ssh-rsa\nPrivate-Lines: 4\n{body}\nPrivate-MAC: 00ff\n";
        var input = SecretCorpus.Bytes(text);
        var needle = text.IndexOf("Private-Lines", StringComparison.Ordinal);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Output.Should().Contain("[MASKED:private-key-body]");

        for (var at = 1; at < input.Length; at++)
        {
            var run = Mask.Run(input, Mask.SplitAt(input, at));
            run.ShouldNotLeak(SecretCorpus.PemBody[1]);
            if (at - needle is not (1 or 2))
            {
                // One or two bytes of the needle at the end are not held (every capitalised word would wait): the mask then
                // starts after them, as it did before the prefix search was narrowed.
                run.Output.Should().Be(whole.Output, $"split at {at}");
            }
        }
    }

    [Fact]
    public void Azure_client_secret_inside_a_long_token_run_is_masked_at_every_split_point()
    {
        // Anchors at every separator of the run; only the one whose marker byte is a Q four bytes on is offered, or one
        // whose marker the text has not reached yet.
        var azure = "Xy1" + "8Q~" + Fake.Of(Fake.Alnum + "_~.-", 34, 4);
        var text = $"AZURE_CLIENT_SECRET={azure} MY_VAR_{azure}\nhash 0123456789abcdef0123456789abcdef01234567 ~~~~~~~~~~\n";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Counts.Should().ContainKey("vendor-token");
        whole.ShouldNotLeak(azure);

        var heads = new[] { text.IndexOf(azure, StringComparison.Ordinal), text.LastIndexOf(azure, StringComparison.Ordinal) };
        for (var at = 1; at < input.Length; at++)
        {
            // A cut that leaves one to three bytes of the shape at the end releases them (runs under four bytes may show);
            // from four bytes on they wait for the tilde.
            if (heads.Any(h => at > h && at < h + 4))
            {
                continue;
            }

            var run = Mask.Run(input, Mask.SplitAt(input, at));
            run.Output.Should().Be(whole.Output, $"split at {at}");
            run.ShouldNotLeak(azure);
        }

        // Two cuts inside the marker: what the first push released is not shown again, and no four bytes of it show.
        foreach (var h in heads)
        {
            for (var first = h + 1; first < h + 6; first++)
            {
                for (var second = first + 1; second <= h + 6; second++)
                {
                    Mask.Run(input, [first, second - first, input.Length - second]).ShouldNotLeak(azure);
                }
            }
        }
    }
}
