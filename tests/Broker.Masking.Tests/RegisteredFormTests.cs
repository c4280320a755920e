using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>Registered secrets in base64url and hex, the encodings tokens and binary dumps use besides base64.</summary>
public class RegisteredFormTests
{
    // Chosen so that its base64 holds '+' and '/' at every alignment: base64url then differs from base64.
    private const string Secret = "k>?~Zq1>>?s9>?~W3x>?~Lp";

    private static SecretRegistry Registry()
    {
        var secrets = new SecretRegistry();
        secrets.Register("api-secret", Secret);
        return secrets;
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("ab")]
    public void Registered_secret_in_base64url_is_masked_at_every_alignment_and_every_split(string prefix)
    {
        var standard = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + Secret + "/tail"));
        var encoded = standard.Replace('+', '-').Replace('/', '_').TrimEnd('=');
        encoded.Should().NotBe(standard.TrimEnd('='), "the test needs a secret whose base64url differs");
        var input = SecretCorpus.Bytes($"data: {encoded} end\n");
        var whole = Mask.Run(input, Mask.Whole(input), secrets: Registry());

        whole.Output.Should().Contain("[MASKED:api-secret]").And.StartWith("data: ").And.EndWith(" end\n");
        var interior = encoded[4..^8];
        whole.Output.Should().NotContain(interior[..8]).And.NotContain(interior[^8..]);
        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at), secrets: Registry()).Output.Should().Be(whole.Output, $"split at {at}");
        }
    }

    [Fact]
    public void Registered_secret_in_standard_base64_is_still_masked_next_to_its_url_form()
    {
        var standard = Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret));
        var url = standard.Replace('+', '-').Replace('/', '_');

        var run = Mask.Run($"a {standard}\nb {url}\n", secrets: Registry());

        run.Output.Should().Be("a [MASKED:api-secret]\nb [MASKED:api-secret]\n");
    }

    [Fact]
    public void Registered_secret_in_hex_of_either_case_is_masked_at_every_split()
    {
        var lower = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Secret));
        var upper = Convert.ToHexString(Encoding.UTF8.GetBytes(Secret));
        var input = SecretCorpus.Bytes($"dump {lower}\nDUMP {upper}\n");
        var whole = Mask.Run(input, Mask.Whole(input), secrets: Registry());

        whole.Output.Should().Be("dump [MASKED:api-secret]\nDUMP [MASKED:api-secret]\n");
        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at), secrets: Registry()).Output.Should().Be(whole.Output, $"split at {at}");
        }
    }

    [Fact]
    public void Hex_that_only_shares_a_prefix_with_the_secret_is_left_alone()
    {
        var hex = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Secret));
        var text = $"sha {hex[..20]}00112233\n";

        Mask.Run(text, secrets: Registry()).Output.Should().Be(text);
    }
}
