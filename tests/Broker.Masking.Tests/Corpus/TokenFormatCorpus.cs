namespace Broker.Masking.Tests.Corpus;

/// <summary>
/// One token format of the public secret-scanning rule sets and a synthetic sample of it as it would show in output.
/// <paramref name="Source"/> names the rule sets that list the format (g = gitleaks, t = trufflehog, s = secretlint);
/// <paramref name="Secret"/> is the part that must not show.
/// </summary>
internal sealed record TokenFormat(string Format, string Source, string Line, string Secret);

/// <summary>
/// The detector corpus: one realistic synthetic sample per token format the public rule sets (gitleaks, trufflehog,
/// secretlint) describe. Only facts about the formats are used (prefix, alphabet, length, the context a rule needs);
/// the values are random from a fixed seed, never real secrets. A format that its rule sets only find next to a keyword
/// (a bare 32-hex key is not recognisable) is sampled the way it shows in practice: an environment or config line.
/// </summary>
internal static class TokenFormatCorpus
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";
    private const string Alnum = Upper + Lower + Digits;
    private const string LowerAlnum = Lower + Digits;
    private const string Hex = "0123456789abcdef";
    private const string Base64 = Alnum + "+/";
    private const string UrlSafe = Alnum + "-_";

    public static IReadOnlyList<TokenFormat> All { get; } = Build();

    private static List<TokenFormat> Build()
    {
        var random = new Random(20261205);
        string R(string alphabet, int length) => string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]));
        string Uuid() => $"{R(Hex, 8)}-{R(Hex, 4)}-4{R(Hex, 3)}-a{R(Hex, 3)}-{R(Hex, 12)}";
        var list = new List<TokenFormat>();
        void Bare(string format, string source, string token, string context = "using credential {0} for the request") =>
            list.Add(new TokenFormat(format, source, string.Format(System.Globalization.CultureInfo.InvariantCulture, context, token), token));
        void Keyed(string format, string source, string key, string value) =>
            list.Add(new TokenFormat(format, source, $"{key}={value}", value));

        // Prefixed tokens: recognisable on their own.
        Bare("GitHub personal access token", "g t s", "ghp_" + R(Alnum, 36));
        Bare("GitHub OAuth token", "g t s", "gho_" + R(Alnum, 36));
        Bare("GitHub user-to-server token", "g t s", "ghu_" + R(Alnum, 36));
        Bare("GitHub server-to-server token", "g t s", "ghs_" + R(Alnum, 36));
        Bare("GitHub refresh token", "g t s", "ghr_" + R(Alnum, 36));
        Bare("GitHub fine-grained token", "g t s", "github_pat_" + R(Alnum, 22) + "_" + R(Alnum, 59));
        Bare("GitLab personal access token", "g t", "glpat-" + R(UrlSafe, 20));
        Bare("GitLab pipeline trigger token", "g t", "glptt-" + R(Hex, 40));
        Bare("GitLab runner registration token", "g", "GR1348941" + R(UrlSafe, 20));
        Bare("GitLab runner authentication token", "g", "glrt-" + R(UrlSafe, 20));
        Bare("GitLab deploy token", "g", "gldt-" + R(UrlSafe, 20));
        Bare("GitLab feed token", "g", "glft-" + R(UrlSafe, 20));
        Bare("GitLab SCIM token", "g", "glsoat-" + R(UrlSafe, 20));
        Bare("Slack bot token", "g t s", $"xoxb-{R(Digits, 12)}-{R(Digits, 13)}-{R(Alnum, 24)}");
        Bare("Slack user token", "g t s", $"xoxp-{R(Digits, 12)}-{R(Digits, 12)}-{R(Digits, 13)}-{R(Hex, 32)}");
        Bare("Slack app-level token", "g t", $"xapp-1-A{R(Upper + Digits, 10)}-{R(Digits, 13)}-{R(Hex, 64)}");
        Bare("Slack configuration token", "g", $"xoxe.xoxp-1-{R(Alnum, 160)}");
        // A webhook URL's secret is its path; the host stays readable.
        Bare("Slack incoming webhook", "g t s", $"T{R(Upper + Digits, 10)}/B{R(Upper + Digits, 10)}/{R(Alnum, 24)}", "POST https://hooks.slack.com/services/{0}");
        Bare("Discord webhook", "t", $"{R(Digits, 18)}/{R(UrlSafe, 68)}", "POST https://discord.com/api/webhooks/{0}");
        Bare("Microsoft Teams webhook", "g t", $"{Uuid()}@{Uuid()}/IncomingWebhook/{R(Hex, 32)}/{Uuid()}", "POST https://acme.webhook.office.com/webhookb2/{0}");
        Bare("Stripe secret key", "g t s", "sk_live_" + R(Alnum, 99));
        Bare("Stripe restricted key", "g t", "rk_live_" + R(Alnum, 99));
        Bare("Stripe webhook secret", "t", "whsec_" + R(Alnum, 32));
        Bare("npm access token", "g t s", "npm_" + R(Alnum, 36));
        Bare("PyPI upload token", "g t", "pypi-AgEIcHlwaS5vcmc" + R(UrlSafe, 70));
        Bare("OpenAI API key", "g t s", "sk-proj-" + R(UrlSafe, 74) + "T3BlbkFJ" + R(UrlSafe, 74));
        Bare("Anthropic API key", "g t", "sk-ant-api03-" + R(UrlSafe, 93) + "AA");
        Bare("Google API key", "g t s", "AIza" + R(UrlSafe, 35));
        Bare("Google OAuth client secret", "g t", "GOCSPX-" + R(UrlSafe, 28));
        Bare("AWS access key id", "g t s", "AKIA" + R(Upper + "234567", 16));
        Bare("DigitalOcean personal access token", "g t", "dop_v1_" + R(Hex, 64));
        Bare("DigitalOcean OAuth token", "g t", "doo_v1_" + R(Hex, 64));
        Bare("Shopify access token", "g t s", "shpat_" + R(Hex, 32));
        Bare("Shopify shared secret", "g t s", "shpss_" + R(Hex, 32));
        Bare("Databricks token", "g t", "dapi" + R(Hex, 32));
        Bare("Twilio API key", "g t", "SK" + R(Hex, 32));
        Bare("HashiCorp Vault service token", "g t", "hvs." + R(UrlSafe, 90));
        Bare("HashiCorp Vault batch token", "g", "hvb." + R(UrlSafe, 138));
        Bare("Hugging Face access token", "g t", "hf_" + R(Upper + Lower, 34));
        Bare("Postman API key", "g t", $"PMAK-{R(Hex, 24)}-{R(Hex, 34)}");
        Bare("New Relic user API key", "g t", "NRAK-" + R(Upper + Digits, 27));
        Bare("SendGrid API key", "g t s", $"SG.{R(UrlSafe, 22)}.{R(UrlSafe, 43)}");
        Bare("Linear API key", "g t", "lin_api_" + R(Alnum, 40));
        Bare("Doppler service token", "g t", "dp.st." + R(Alnum, 43));
        Bare("age secret key", "g", "AGE-SECRET-KEY-1" + R("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58));
        Bare("Atlassian API token", "g t", "ATATT3" + R(UrlSafe, 186));
        Bare("Grafana Cloud API token", "g t", "glc_" + R(Alnum, 32) + "==");
        Bare("Grafana service account token", "g t", $"glsa_{R(Alnum, 32)}_{R(Hex, 8)}");
        Bare("JFrog API key", "g t", "AKCp" + R(Alnum, 69));
        Bare("Dynatrace API token", "g t", $"dt0c01.{R(Upper + Digits, 24)}.{R(Upper + Digits, 64)}");
        Bare("Pulumi access token", "g t", "pul-" + R(Hex, 40));
        Bare("RubyGems API key", "g t", "rubygems_" + R(Hex, 48));
        Bare("Clojars deploy token", "g", "CLOJARS_" + R(LowerAlnum, 60));
        Bare("ReadMe API key", "g t", "rdme_" + R(LowerAlnum, 70));
        Bare("Notion integration token", "t", "ntn_" + R(Alnum, 46));
        Bare("PlanetScale token", "g t", "pscale_tkn_" + R(UrlSafe, 43));
        Bare("Frame.io token", "g", "fio-u-" + R(UrlSafe, 64));
        Bare("Duffel token", "g", "duffel_live_" + R(UrlSafe, 43));
        Bare("EasyPost API key", "g", "EZAK" + R(Alnum, 54));
        Bare("Facebook page access token", "g t", "EAAC" + R(Alnum, 160));
        Bare("Square access token", "g t", "sq0atp-" + R(UrlSafe, 22));
        Bare("Square OAuth secret", "g t", "sq0csp-" + R(UrlSafe, 43));
        Bare("Flutterwave secret key", "g", $"FLWSECK_TEST-{R(Hex, 32)}-X");
        Bare("Heroku API key (new format)", "g", "HRKU-AA" + R(UrlSafe, 58));
        Bare("Azure AD client secret", "g t", R(Alnum, 3) + R(Digits, 1) + "Q~" + R(UrlSafe + ".~", 34));
        Bare("Telegram bot token", "g t", $"{R(Digits, 10)}:AA{R(UrlSafe, 33)}");
        Bare("Sentry user token", "g t", "sntryu_" + R(Hex, 64));
        Bare("Infracost API key", "g", "ico-" + R(Alnum, 32));
        Bare("Prefect API key", "g t", "pnu_" + R(Alnum, 36));
        Bare("Perplexity API key", "g", "pplx-" + R(Alnum, 48));
        Bare("Octopus Deploy API key", "g", "API-" + R(Upper + Digits, 26));
        Bare("Scalingo API token", "g", "tk-us-" + R(UrlSafe, 48));
        Bare("Typeform token", "g t", "tfp_" + R(UrlSafe, 59));
        Bare("Cloudflare origin CA key", "g", "v1.0-" + R(Hex, 24) + "-" + R(Hex, 146));
        Bare("Fly.io token", "g", "fm2_" + R(Base64, 120));
        Bare("1Password service account token", "g t", "ops_eyJ" + R(Base64, 250));
        Bare("Groq API key", "t", "gsk_" + R(Alnum, 52));
        Bare("xAI API key", "t", "xai-" + R(Alnum, 80));
        Bare("Tailscale auth key", "t", $"tskey-auth-k{R(Alnum, 10)}CNTRL-{R(Alnum, 33)}");
        Bare("Supabase access token", "t", "sbp_" + R(Hex, 40));
        Bare("Buildkite API token", "t", "bkua_" + R(Hex, 40));
        Bare("Sourcegraph access token", "g t", "sgp_" + R(Hex, 16) + "_" + R(Hex, 40));
        Bare("HubSpot private app token", "g t", $"pat-na1-{Uuid()}");
        Bare("Replicate API token", "t", "r8_" + R(Alnum, 37));
        Bare("Contentful personal access token", "t", "CFPAT-" + R(UrlSafe, 43));
        Bare("Bitbucket app password", "t", "ATBB" + R(Alnum, 32));
        Bare("Alibaba Cloud access key id", "g t", "LTAI" + R(Alnum, 20));
        Bare("Tencent Cloud secret id", "t", "AKID" + R(Alnum, 32));
        Bare("NuGet API key", "t", "oy2" + R(LowerAlnum, 43));
        Bare("Mapbox secret token", "g t", $"sk.eyJ1Ijoi{R(Alnum, 60)}.{R(UrlSafe, 22)}");
        Bare("JSON web token", "g t", $"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ{R(Alnum, 40)}.{R(UrlSafe, 43)}", "Authorization: Bearer {0}");
        Bare("Bearer token in a header", "g t", R(Alnum, 40), "Authorization: Bearer {0}");
        Bare("Basic credentials in a URL", "g t s", R(Alnum, 16), "https://deploy:{0}@git.example.com/org/repo.git");
        Bare("Database URL password", "g t s", R(Alnum, 18), "postgres://app:{0}@db.internal:5432/app");
        Bare("Credit card number", "t", "4539 1488 0343 6467", "card on file: {0}");

        // Formats the rule sets find only with a keyword next to them: sampled as configuration.
        Keyed("AWS secret access key", "g t s", "aws_secret_access_key", R(Base64, 40));
        Keyed("AWS session token", "g t", "AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2Vj" + R(Base64, 300));
        Keyed("Azure storage account key", "g t", "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey", R(Base64, 86) + "==");
        Keyed("Heroku API key", "g t", "HEROKU_API_KEY", Uuid());
        Keyed("Mailchimp API key", "g t", "MAILCHIMP_API_KEY", R(Hex, 32) + "-us12");
        Keyed("Mailgun API key", "g t", "MAILGUN_API_KEY", "key-" + R(Hex, 32));
        Keyed("Datadog API key", "g t", "DD_API_KEY", R(Hex, 32));
        Keyed("Datadog application key", "g t", "DD_APP_KEY", R(Hex, 40));
        Keyed("Algolia admin key", "g t", "ALGOLIA_ADMIN_KEY", R(Hex, 32));
        Keyed("Cloudflare API token", "g t", "CLOUDFLARE_API_TOKEN", R(UrlSafe, 40));
        Keyed("Okta API token", "g t", "OKTA_API_TOKEN", "00" + R(UrlSafe, 40));
        Keyed("Snyk token", "g t", "SNYK_TOKEN", Uuid());
        Keyed("Twitter bearer token", "g t", "TWITTER_BEARER_TOKEN", new string('A', 22) + R(Alnum, 80));
        Keyed("Discord bot token", "g t", "DISCORD_BOT_TOKEN", $"{R(Alnum, 24)}.{R(UrlSafe, 6)}.{R(UrlSafe, 27)}");
        Keyed("Azure DevOps personal access token", "t", "AZURE_DEVOPS_PAT", R(LowerAlnum, 52));
        Keyed("Confluent API secret", "g t", "CONFLUENT_API_SECRET", R(Alnum, 64));
        Keyed("Terraform Cloud token", "g t", "TFE_TOKEN", $"{R(Alnum, 14)}.atlasv1.{R(UrlSafe, 67)}");
        Keyed("Generic password", "g t s", "DB_PASSWORD", R(Alnum + "!#%*", 20));
        Keyed("Generic client secret", "g t", "OAUTH_CLIENT_SECRET", R(UrlSafe, 32));
        list.Add(new TokenFormat("Django secret key", "g", "", "django-insecure-" + R(Lower + Digits + "!@#%^&*(-_=+)", 50)));
        list[^1] = list[^1] with { Line = $"SECRET_KEY = '{list[^1].Secret}'" };
        list.Add(new TokenFormat("Docker registry auth", "t", "{\"auths\":{\"registry.example.com\":{\"auth\":\"" + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("ci:" + R(Alnum, 24))) + "\"}}}", ""));
        list[^1] = list[^1] with { Secret = list[^1].Line.Split('"')[^2] };
        list.Add(new TokenFormat("JSON password field", "g t", "{\"user\":\"svc\",\"password\":\"" + R(Alnum, 18) + "\"}", ""));
        list[^1] = list[^1] with { Secret = list[^1].Line.Split('"')[^2] };
        return list;
    }
}
