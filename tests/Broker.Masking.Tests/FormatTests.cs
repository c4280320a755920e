using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>Each secret format the issue found unmasked, as it appears in real output, and the look-alikes that must stay.</summary>
public class FormatTests
{
    private static readonly string Token = SecretCorpus.GitHubClassic;

    [Fact]
    public void Sts_xml_credentials_are_masked_and_the_rest_of_the_response_stays()
    {
        var text = $"""
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <Credentials>
                  <AccessKeyId>{SecretCorpus.StsAccessKeyId}</AccessKeyId>
                  <SecretAccessKey>{SecretCorpus.StsSecretAccessKey}</SecretAccessKey>
                  <SessionToken>{SecretCorpus.SessionToken}</SessionToken>
                  <Expiration>2026-11-26T09:12:44Z</Expiration>
                </Credentials>
              </AssumeRoleResult>
            </AssumeRoleResponse>

            """;

        var run = Mask.Run(text);

        run.ShouldNotLeak(SecretCorpus.StsAccessKeyId, SecretCorpus.StsSecretAccessKey, SecretCorpus.SessionToken);
        run.Output.Should().Contain("<SecretAccessKey>[MASKED:aws-secret-access-key]</SecretAccessKey>")
            .And.Contain("<SessionToken>[MASKED:aws-session-token]</SessionToken>")
            .And.Contain("<Expiration>2026-11-26T09:12:44Z</Expiration>");
    }

    [Theory]
    [InlineData("aws_secret_access_key\t{0}\n")]
    [InlineData("aws_secret_access_key\t=\t{0}\n")]
    [InlineData("[default]\naws_access_key_id\t= AKIAQX7RZ2KD5MWN3PLE\naws_secret_access_key\t= {0}\n")]
    public void Tab_between_key_and_value_in_a_credentials_file_is_masked(string template)
    {
        var run = Mask.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, SecretCorpus.SecretAccessKey));

        run.ShouldNotLeak(SecretCorpus.SecretAccessKey);
        run.Output.Should().Contain("[MASKED:aws-secret-access-key]");
    }

    [Fact]
    public void Aws_text_output_masks_the_secret_and_the_session_token_after_the_key_id()
    {
        var text = $"CREDENTIALS\t{SecretCorpus.StsAccessKeyId}\t2026-11-26T09:12:44+00:00\t{SecretCorpus.StsSecretAccessKey}\t{SecretCorpus.SessionToken}\n";

        var run = Mask.Run(text);

        run.ShouldNotLeak(SecretCorpus.StsAccessKeyId, SecretCorpus.StsSecretAccessKey, SecretCorpus.SessionToken);
        run.Output.Should().Be("CREDENTIALS\t[MASKED:aws-access-key-id]\t2026-11-26T09:12:44+00:00\t[MASKED:aws-secret-access-key]\t[MASKED:aws-session-token]\n");
    }

    public static TheoryData<string, string> ZeroWidthCharacters() => new()
    {
        { "zero-width space", "\u200B" },
        { "zero-width non-joiner", "\u200C" },
        { "zero-width joiner", "\u200D" },
        { "word joiner", "\u2060" },
        { "byte order mark", "\uFEFF" },
        { "soft hyphen", "\u00AD" },
        { "left-to-right mark", "\u200E" },
        { "combining grave accent", "\u0300" },
        { "variation selector", "\uFE0F" },
        { "tag character", "\U000E0041" },
    };

    [Theory]
    [MemberData(nameof(ZeroWidthCharacters))]
    public void Zero_width_character_inside_a_token_is_masked_with_it(string label, string invisible)
    {
        var text = $"token {Token[..9]}{invisible}{Token[9..20]}{invisible}{invisible}{Token[20..]} ok\n";
        var input = Encoding.UTF8.GetBytes(text);

        foreach (var sizes in new[] { Mask.Whole(input), Mask.OneByOne(input), Mask.SplitAt(input, 14) })
        {
            var run = Mask.Run(input, sizes);

            run.Output.Should().Be("token [MASKED:github-token] ok\n", label);
        }
    }

    [Theory]
    [InlineData("MY_{0}")]
    [InlineData("export GH_TOKEN={0}")]
    [InlineData("GITHUB_TOKEN:{0}")]
    [InlineData("https://example.com/hooks/{0}")]
    [InlineData("x-{0}")]
    public void Token_glued_to_a_prefix_is_masked(string template)
    {
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Token) + "\n";

        var run = Mask.Run(text);

        run.ShouldNotLeak(Token);
        run.Output.Should().Contain("[MASKED:github-token]");
    }

    [Fact]
    public void Short_prefixes_inside_ordinary_words_stay()
    {
        const string text = "task-list-of-the-things-to-do-this-week\ndisk-usage-summary-for-every-volume-here\nASKxabcdef0123456789abcdef0123456789\n";

        Mask.Run(text).Output.Should().Be(text);
    }

    public static TheoryData<string> SpacedJwtHeaders() =>
    [
        "{ \"alg\": \"HS256\", \"typ\": \"JWT\" }",
        "{\n  \"alg\": \"RS256\",\n  \"typ\": \"JWT\"\n}",
        "{\r\n  \"alg\": \"ES256\"\r\n}",
        "{\t\"alg\":\t\"HS512\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
    ];

    [Theory]
    [MemberData(nameof(SpacedJwtHeaders))]
    public void Jwt_whose_header_is_spaced_json_is_masked(string header)
    {
        var jwt = $"{Fake.Base64Url(header)}.{Fake.Base64Url("{ \"sub\": \"agent-7\", \"exp\": 1799999999 }")}.{Fake.Of(Fake.WordDash, 43, 3)}";

        var run = Mask.Run($"Authorization: Bearer {jwt}\nid_token={jwt}\n");

        run.ShouldNotLeak(jwt);
        run.Output.Should().Be("Authorization: Bearer [MASKED:jwt]\nid_token=[MASKED:jwt]\n");
    }

    [Fact]
    public void Base64url_words_that_do_not_decode_to_a_json_object_are_not_jwts()
    {
        const string text = "ewok.village-endor.forest-moon ewokAAAAAAAAAA.bbbbbbbbbb.cccccccccc\n";

        Mask.Run(text).Output.Should().Be(text);
    }

    [Theory]
    [InlineData("DB_PASS={0}\n", "keyword-secret")]
    [InlineData("export PGPASSWORD='{0}'\n", "keyword-secret")]
    [InlineData("passphrase={0}\n", "keyword-secret")]
    [InlineData("ssh_key_passphrase: {0}\n", "keyword-secret")]
    [InlineData("pwd={0}\n", "keyword-secret")]
    [InlineData("<password>{0}</password>\n", "keyword-secret")]
    [InlineData("<Password>{0}</Password>\n", "keyword-secret")]
    [InlineData("mysql -u root --password {0} -h db\n", "keyword-secret")]
    [InlineData("Server=sql01;Database=Orders;User Id=svc;Pwd={0};\n", "connection-string-password")]
    public void Password_keys_in_every_spelling_are_masked(string template, string detector)
    {
        const string password = "Vq7-mTz2.Rk9Lx";
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, password);

        var run = Mask.Run(text);

        run.ShouldNotLeak(password);
        run.Output.Should().Contain($"[MASKED:{detector}]");
    }

    [Theory]
    [InlineData("PWD=/home/agent/projects/broker\n")]
    [InlineData("OLDPWD=~/src\n")]
    [InlineData("BYPASS_CACHE=xK9mPq2Lw7\n")]
    [InlineData("compass=north-by-northwest\n")]
    [InlineData("  --password PASSWORD   the password to connect with\n")]
    [InlineData("  --token TOKEN_FILE    read the token from a file\n")]
    [InlineData("  --password <password>\n")]
    [InlineData("  --password-file /run/secrets/db\n")]
    public void Look_alikes_of_password_keys_stay(string text)
    {
        Mask.Run(text).Output.Should().Be(text);
    }

    [Fact]
    public void Azure_storage_account_key_and_sas_signature_are_masked()
    {
        var accountKey = Fake.Base64Of(64, 7);
        var signature = "sV9%2Bq3XkRw7yZp0mTnL4aB6cD8eF1gH2jK5lM%3D";
        var text = $"DefaultEndpointsProtocol=https;AccountName=prodlogs;AccountKey={accountKey};EndpointSuffix=core.windows.net\n" +
            $"https://prodlogs.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-01T00:00:00Z&sig={signature}\n";

        var run = Mask.Run(text);

        run.ShouldNotLeak(accountKey, signature);
        run.Output.Should().Contain("AccountName=prodlogs;AccountKey=[MASKED:azure-storage-key];EndpointSuffix=core.windows.net")
            .And.Contain("&sig=[MASKED:azure-storage-key]\n");
    }

    [Fact]
    public void Google_api_key_is_masked()
    {
        var key = "AIza" + Fake.Of(Fake.WordDash, 35, 11);

        var run = Mask.Run($"GOOGLE_API_KEY={key}\ncurl 'https://maps.googleapis.com/maps/api/geocode/json?key={key}'\n");

        run.ShouldNotLeak(key);
        run.Output.Should().Contain("GOOGLE_API_KEY=[MASKED:google-api-key]").And.Contain("key=[MASKED:google-api-key]'");
    }

    [Theory]
    [InlineData("4111.1111.1111.1111")]
    [InlineData("5555.5555.5555.4444")]
    [InlineData("3782.822463.10005")]
    public void Card_number_with_dots_is_masked(string card)
    {
        var run = Mask.Run($"card on file: {card} exp 12/29\n");

        run.Output.Should().Be("card on file: [MASKED:credit-card] exp 12/29\n");
    }

    [Theory]
    [InlineData("version 4111.1111.1111.1112\n")]
    [InlineData("ip 192.168.100.200\n")]
    [InlineData("build 2024.0115.1200.4471 done\n")]
    public void Dotted_numbers_that_are_not_cards_stay(string text)
    {
        Mask.Run(text).Output.Should().Be(text);
    }

    [Fact]
    public void Secret_in_a_window_title_is_masked_and_the_title_sequence_stays_well_formed()
    {
        var text = $"\u001b]0;deploy with {Token}\u0007$ \u001b]2;{SecretCorpus.Jwt}\u001b\\done\n";

        var run = Mask.Run(text);

        run.ShouldNotLeak(Token, SecretCorpus.Jwt);
        run.Output.Should().Be("\u001b]0;deploy with [MASKED:github-token]\u0007$ \u001b]2;[MASKED:jwt]\u001b\\done\n");
    }

    [Fact]
    public void Secret_in_a_clipboard_write_is_masked_by_its_decoded_text()
    {
        var clipboard = Convert.ToBase64String(Encoding.UTF8.GetBytes($"export GITHUB_TOKEN={Token}\n"));
        var input = Encoding.UTF8.GetBytes($"\u001b]52;c;{clipboard}\u0007copied\n");

        foreach (var sizes in new[] { Mask.Whole(input), Mask.OneByOne(input), Mask.Random(input, 5, 9) })
        {
            var run = Mask.Run(input, sizes);

            run.Output.Should().StartWith("\u001b]52;c;").And.EndWith("\u0007copied\n").And.Contain("[MASKED:github-token]");
            var payload = run.Output["\u001b]52;c;".Length..run.Output.IndexOf('\u0007', StringComparison.Ordinal)];
            foreach (var piece in payload.Split("[MASKED:github-token]"))
            {
                // Whatever alignment the piece had in the original base64, its decoding holds no four bytes of the token.
                for (var skip = 0; skip < 4 && skip < piece.Length; skip++)
                {
                    var quads = piece[skip..];
                    var decoded = Convert.FromBase64String(quads[..(quads.Length - (quads.Length % 4))]);
                    new MaskRun(Encoding.Latin1.GetString(decoded), [decoded], run.Counts).ShouldNotLeak(Token);
                }
            }
        }
    }

    [Fact]
    public void Secret_in_a_dcs_or_hyperlink_payload_is_masked()
    {
        var text = $"\u001bP1;1|{Token}\u001b\\ \u001b]8;;https://deploy:{SecretCorpus.PostgresPassword}@ci.internal/run\u001b\\link\u001b]8;;\u001b\\\n";

        var run = Mask.Run(text);

        run.ShouldNotLeak(Token, SecretCorpus.PostgresPassword);
        run.Output.Should().Contain("\u001bP1;1|[MASKED:github-token]\u001b\\").And.Contain("https://deploy:[MASKED:connection-string-password]@ci.internal/run");
    }

    [Theory]
    [InlineData("https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/{0}")]
    [InlineData("https://discord.com/api/webhooks/123456789012345678/{0}")]
    public void Incoming_webhook_urls_are_masked_after_the_host(string template)
    {
        var secret = Fake.Of(Fake.Alnum, 24, 5);
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, secret);

        var run = Mask.Run($"WEBHOOK={url}\n");

        run.ShouldNotLeak(secret);
        run.Output.Should().Contain("[MASKED:webhook-url]");
    }

    [Fact]
    public void Azure_ad_client_secret_and_telegram_bot_token_are_masked()
    {
        var azure = "Xy1" + "8Q~" + Fake.Of(Fake.Alnum + "_~.-", 34, 4);
        var telegram = "123456789:AA" + Fake.Of(Fake.WordDash, 33, 6);

        var run = Mask.Run($"AZURE_CLIENT_SECRET={azure}\nTELEGRAM={telegram}\n");

        run.ShouldNotLeak(azure, telegram[10..]);
        run.Output.Should().Contain("[MASKED:vendor-token]");
    }
}
