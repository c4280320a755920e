using System.Buffers;
using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

public class TrickyCaseTests
{
    private const string Token = SecretCorpus.GitHubClassic;

    [Fact]
    public void Access_key_split_at_every_offset_is_masked()
    {
        var input = Encoding.UTF8.GetBytes($"export AWS_ACCESS_KEY_ID={SecretCorpus.AccessKeyId}; echo ok\n");

        for (var at = 1; at < input.Length; at++)
        {
            for (var second = at + 1; second < input.Length; second += 7)
            {
                var run = Mask.Run(input, [at, second - at, input.Length - second]);

                run.Output.Should().Be("export AWS_ACCESS_KEY_ID=[MASKED:aws-access-key-id]; echo ok\n");
                run.ShouldNotLeak(SecretCorpus.AccessKeyId);
            }
        }
    }

    [Fact]
    public void Key_delivered_one_byte_per_hold_delay_never_shows_four_bytes_of_it()
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry());
        var input = Encoding.UTF8.GetBytes($"key {SecretCorpus.AccessKeyId} done\n");
        var chunks = new List<byte[]>();
        foreach (var b in input)
        {
            var writer = new ArrayBufferWriter<byte>();
            masker.Push([b], writer);
            if (masker.HasHeldBytes)
            {
                masker.FlushHeld(writer);
            }

            chunks.Add(writer.WrittenSpan.ToArray());
        }

        var last = new ArrayBufferWriter<byte>();
        masker.Complete(last);
        chunks.Add(last.WrittenSpan.ToArray());
        var output = Encoding.UTF8.GetString([.. chunks.SelectMany(c => c)]);

        new MaskRun(output, chunks, masker.Counts).ShouldNotLeak(SecretCorpus.AccessKeyId);
        output.Should().Be("key AKI[MASKED:aws-access-key-id] done\n");
    }

    [Fact]
    public void Secret_next_to_its_keyword_is_masked_but_a_bare_git_hash_is_not()
    {
        var run = Mask.Run($"aws_secret_access_key={SecretCorpus.SecretAccessKey}\ncommit 3f786850e387550fdab836ed7e6dc881de23001b\n{SecretCorpus.StsSecretAccessKey}\n");

        run.Output.Should().Be($"aws_secret_access_key=[MASKED:aws-secret-access-key]\ncommit 3f786850e387550fdab836ed7e6dc881de23001b\n{SecretCorpus.StsSecretAccessKey}\n");
    }

    [Fact]
    public void Documentation_example_key_pair_is_not_masked()
    {
        const string text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

        var run = Mask.Run(text);

        run.Output.Should().Be(text);
        run.Counts.Should().BeEmpty();
    }

    [Fact]
    public void Sts_assume_role_output_masks_the_credentials_and_keeps_the_rest()
    {
        var run = Mask.Run(SecretCorpus.StsAssumeRoleJson);

        run.ShouldNotLeak(SecretCorpus.StsAccessKeyId, SecretCorpus.StsSecretAccessKey, SecretCorpus.SessionToken);
        run.Output.Should().Contain("\"AccessKeyId\": \"[MASKED:aws-access-key-id]\"")
            .And.Contain("\"SecretAccessKey\": \"[MASKED:aws-secret-access-key]\"")
            .And.Contain("\"SessionToken\": \"[MASKED:aws-session-token]\"")
            .And.Contain("\"Expiration\": \"2026-11-26T09:12:44+00:00\"")
            .And.Contain("arn:aws:sts::123456789012:assumed-role/deployer/agent-7")
            .And.Contain("AROA3XFRBF23EXAMPLEID:agent-7");
    }

    [Fact]
    public void Pem_block_split_in_three_is_masked_from_begin_to_end()
    {
        var text = "before\n" + SecretCorpus.Pem + "after\n";
        var input = Encoding.UTF8.GetBytes(text);
        var first = text.IndexOf("RSA PRIV", StringComparison.Ordinal);
        var second = text.IndexOf(SecretCorpus.PemBody[2], StringComparison.Ordinal) + 10;

        var run = Mask.Run(input, [first, second - first, input.Length - second]);

        run.Output.Should().Be("before\n[MASKED:pem-private-key]\nafter\n");
        run.ShouldNotLeak(SecretCorpus.PemBody);
    }

    [Fact]
    public void Pem_block_whose_end_never_arrives_is_masked_to_the_end_of_the_stream()
    {
        var text = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + string.Join("\n", SecretCorpus.PemBody) + "\n$ echo next\nnext\n";

        var run = Mask.Run(Encoding.UTF8.GetBytes(text), [10, 60, 100, text.Length - 170]);

        run.Output.Should().Be("[MASKED:pem-private-key]");
        run.ShouldNotLeak(SecretCorpus.PemBody);
    }

    [Fact]
    public void Jwt_split_at_a_dot_is_masked()
    {
        var text = $"id_token {SecretCorpus.Jwt}\n";
        var input = Encoding.UTF8.GetBytes(text);
        var dot = text.IndexOf('.', StringComparison.Ordinal);

        foreach (var at in new[] { dot, dot + 1, text.LastIndexOf('.') , text.LastIndexOf('.') + 1 })
        {
            var run = Mask.Run(input, Mask.SplitAt(input, at));

            run.Output.Should().Be("id_token [MASKED:jwt]\n");
        }
    }

    [Fact]
    public void Connection_string_password_is_masked_whatever_the_split_and_the_pwd_variable_is_not()
    {
        var text = "Server=db;Uid=app;Pwd=Xk2-77aa;\nPWD=/home/agent\n";
        var input = Encoding.UTF8.GetBytes(text);

        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at)).Output.Should().Be("Server=db;Uid=app;Pwd=[MASKED:connection-string-password];\nPWD=/home/agent\n");
        }
    }

    [Fact]
    public void Only_the_password_of_a_url_is_masked()
    {
        Mask.Run("psql postgres://u:p@h/db\n").Output.Should().Be("psql postgres://u:[MASKED:connection-string-password]@h/db\n");
        Mask.Run("open http://localhost:8080/path and https://example.com:443/\n").Counts.Should().BeEmpty();
    }

    [Fact]
    public void Token_wrapped_in_ansi_colour_keeps_the_colour_codes()
    {
        var run = Mask.Run($"\u001b[1;31m{Token}\u001b[0m\n");

        run.Output.Should().Be("\u001b[1;31m[MASKED:github-token]\u001b[0m\n");
    }

    [Fact]
    public void Escape_and_csi_inside_a_token_are_masked_with_it()
    {
        var text = $"{Token[..10]}\u001b[K{Token[10..20]}\u001b7{Token[20..]} end\n";

        foreach (var sizes in new[] { [text.Length], Enumerable.Repeat(1, text.Length).ToArray(), new[] { 11, 3, text.Length - 14 } })
        {
            var run = Mask.Run(Encoding.UTF8.GetBytes(text), sizes);

            run.Output.Should().Be("[MASKED:github-token] end\n");
        }
    }

    [Fact]
    public void Secret_overwritten_by_carriage_return_is_still_masked()
    {
        var secrets = new SecretRegistry();
        secrets.Register("db-password", "Zq7-hunter-Vw3x");

        var run = Mask.Run("Zq7-hunter-Vw3x\rXXXX\n", secrets: secrets);

        run.Output.Should().Be("[MASKED:db-password]\rXXXX\n");
    }

    [Fact]
    public void Email_split_at_the_dot_is_masked_when_enabled()
    {
        var profile = Mask.Profile(new MaskingSettings { Enable = ["email"] });
        var text = "owner: jane.doe@example.com\n";
        var input = Encoding.UTF8.GetBytes(text);

        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at), profile).Output.Should().Be("owner: [MASKED:email]\n");
        }

        Mask.Run(text).Output.Should().Be(text, "e-mail is off by default");
    }

    [Fact]
    public void Luhn_valid_card_with_spaces_is_masked_and_an_invalid_one_is_not()
    {
        Mask.Run("card 4111 1111 1111 1111 ok\n").Output.Should().Be("card [MASKED:credit-card] ok\n");
        Mask.Run("card 4111-1111-1111-1111 ok\n").Output.Should().Be("card [MASKED:credit-card] ok\n");
        Mask.Run("card 4111 1111 1111 1112 ok\n").Output.Should().Be("card 4111 1111 1111 1112 ok\n");
        Mask.Run("amex 3782 822463 10005\n").Output.Should().Be("amex [MASKED:credit-card]\n");
    }

    [Fact]
    public void Multi_byte_utf8_next_to_a_split_secret_survives_every_split()
    {
        var text = $"é€😀{Token}ß 日本\n";
        var input = Encoding.UTF8.GetBytes(text);

        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at)).Output.Should().Be("é€😀[MASKED:github-token]ß 日本\n");
        }

        Mask.Run(input, Mask.OneByOne(input)).Output.Should().Be("é€😀[MASKED:github-token]ß 日本\n");
    }

    [Fact]
    public void Overlapping_matches_become_one_region_named_after_the_longest()
    {
        var secrets = new SecretRegistry();
        var overlap = Token[^8..] + "!Kq9w";
        secrets.Register("deploy-secret", overlap);

        var run = Mask.Run($"{Token}!Kq9w tail\n", secrets: secrets);

        run.Output.Should().Be("[MASKED:github-token] tail\n");
        run.ShouldNotLeak(Token, overlap);
        Mask.Run($"token={SecretCorpus.Jwt}\n").Output.Should().Be("token=[MASKED:jwt]\n");
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("ab")]
    public void Registered_secret_in_base64_is_masked_at_every_alignment(string prefix)
    {
        const string secret = "W&88^ad3DNBYjvsedonuSsdd";
        var secrets = new SecretRegistry();
        secrets.Register("api-secret", secret);
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + secret + "/tail"));

        var run = Mask.Run($"data: {encoded}\n", secrets: secrets);

        run.Output.Should().Contain("[MASKED:api-secret]");
        var core = Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))[..28];
        run.Output.Should().NotContain(encoded[(prefix.Length == 0 ? 0 : 4)..20]);
        run.ShouldNotLeak(secret);
        core.Should().NotBeEmpty();
    }

    [Fact]
    public void Registered_secret_is_masked_url_encoded_and_json_escaped()
    {
        const string secret = "p@ss \"w0rd\"/42";
        var secrets = new SecretRegistry();
        secrets.Register("db-password", secret);

        var run = Mask.Run("url: https://x/?p=p%40ss%20%22w0rd%22%2F42\njson: {\"pw\": \"p@ss \\\"w0rd\\\"/42\"}\nraw: p@ss \"w0rd\"/42\n", secrets: secrets);

        run.Output.Should().Be("url: https://x/?p=[MASKED:db-password]\njson: {\"pw\": \"[MASKED:db-password]\"}\nraw: [MASKED:db-password]\n");
    }

    [Fact]
    public void Stream_closed_while_a_candidate_is_held_masks_the_tail()
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry());
        var output = new ArrayBufferWriter<byte>();

        masker.Push("push with ghp_wd1iaeOV"u8, output);
        masker.HasHeldBytes.Should().BeTrue();
        masker.Complete(output);

        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be("push with [MASKED:github-token]");
    }

    [Fact]
    public void Complete_token_at_the_end_of_the_stream_is_masked()
    {
        Mask.Run($"token is {Token}").Output.Should().Be("token is [MASKED:github-token]");
    }
}
