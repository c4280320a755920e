using System.Text;

namespace Broker.Masking.Tests.Support;

/// <summary>One piece of output with secrets in it, and the detector expected to mask each.</summary>
internal sealed record SecretSample(string Label, string Text, string Detector, params string[] Secrets);

/// <summary>Realistic output carrying every kind of secret the built-in detectors cover (values are random, not live).</summary>
internal static class SecretCorpus
{
    public const string AccessKeyId = "AKIAUJZDE8GXD6NCF10E";
    public const string StsAccessKeyId = "ASIAPF91DHODZDOC9IS0";
    public const string SecretAccessKey = "spNxnyVmihA+2O76UMFxFkM+R5Kjp1vRt/1fjORS";
    public const string StsSecretAccessKey = "+6ilI8ihN5KXSc7Tvo+hBKqFYY+kv5ZJr3J1TWDt";
    public const string SessionToken =
        "IQoJb3JpZ2luX2VjkwtDDb/xHKas1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8po/799NksnRH9ucAUsdMlHUvTCQCyEZDz+TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY/uCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3+YNBDRzrZ";
    public const string GitHubClassic = "ghp_wd1iaeOV4qBkdfQ1y3GQsMpSscDlkrCaqx9v";
    public const string GitHubFineGrained = "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";
    public const string Slack = "xoxb-093100251678-0083740718818-eVVEqZe2qpUWnoVPDF2yeE6R";
    public const string SkKey = "sk-proj-KfzjsQGMrb9h_ImB_LK777pzNk8cL6j5IXAAjlsHUqJoUD-_";
    public const string Stripe = "sk_live_zbka8FRCztUjAwyuh1vauWv1";
    public const string Npm = "npm_zh87mTa5Vsqxezy3Lex7BWr2drgd1QsO7jpr";
    public const string Jwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZ2VudC03Iiwicm9sZSI6ImRlcGxveWVyIiwiaWF0IjoxNzY0MDAwMDAwfQ.3OyV2dZAkg05rK-gqv81RKMGHZEM9YpvujA_C5Q52ry";
    public const string PostgresPassword = "TIay2BV6DfVPCl";
    public const string ConnectionPassword = "ogqoPchv5V7S82qT";
    public const string KeywordPassword = "gI3*HLBk%bvHEzuPyXQE";
    public const string Card = "4111 1111 1111 1111";

    public static readonly string[] PemBody =
    [
        "FlwRlOEVHzc0X0AWIRh+JUqBlIFXZ53Ncqe28/ajY75FnCttn6kfaqDeMqG3omjM",
        "yXHCabM6JOF8EFd0Nhcy+1kGD2VD+eR1UYzaLiA+zNyD7CHLn+xC/1hsYgBds1gh",
        "xY5OokvQyx7eNWVQ4vnakJkS1pAWTN3lg8zV5yPU8d0FZfWe7ihGyiRUIQfHOJMa",
        "idDn87XG3+q+xbMtEPO6UkzYuF0ie9Pu2njHkAm1+5wDr16EpLLJIVGHz4FxFEtK",
        "rbFt5misIZHbhS4+FvafhdZxEuhnbzs0z1wNiMg9==",
    ];

    public static string Pem => "-----BEGIN RSA PRIVATE KEY-----\n" + string.Join("\n", PemBody) + "\n-----END RSA PRIVATE KEY-----\n";

    public static string StsAssumeRoleJson => $$"""
        {
            "Credentials": {
                "AccessKeyId": "{{StsAccessKeyId}}",
                "SecretAccessKey": "{{StsSecretAccessKey}}",
                "SessionToken": "{{SessionToken}}",
                "Expiration": "2026-11-26T09:12:44+00:00"
            },
            "AssumedRoleUser": {
                "AssumedRoleId": "AROA3XFRBF23EXAMPLEID:agent-7",
                "Arn": "arn:aws:sts::123456789012:assumed-role/deployer/agent-7"
            },
            "SourceIdentity": "agent-7"
        }

        """;

    public static IReadOnlyList<SecretSample> Samples { get; } =
    [
        new("aws access key id", $"aws_access_key_id = {AccessKeyId}\n", "aws-access-key-id", AccessKeyId),
        new("aws secret access key", $"aws_secret_access_key = {SecretAccessKey}\n", "aws-secret-access-key", SecretAccessKey),
        new("aws credentials csv", $"User name,Access key ID,Secret access key\ndeployer,{AccessKeyId},{SecretAccessKey}\n", "aws-secret-access-key", AccessKeyId, SecretAccessKey),
        new("aws env", $"AWS_ACCESS_KEY_ID={StsAccessKeyId}\nAWS_SECRET_ACCESS_KEY={StsSecretAccessKey}\nAWS_SESSION_TOKEN={SessionToken}\n", "aws-session-token", StsAccessKeyId, StsSecretAccessKey, SessionToken),
        new("sts assume-role json", StsAssumeRoleJson, "aws-session-token", StsAccessKeyId, StsSecretAccessKey, SessionToken),
        new("github classic token", $"remote: using token {GitHubClassic} for push\n", "github-token", GitHubClassic),
        new("github fine-grained token", $"GH_AUTH={GitHubFineGrained}\n", "github-token", GitHubFineGrained),
        new("slack bot token", $"slack: connecting with {Slack}\n", "slack-token", Slack),
        new("sk- api key", $"export OPENAI_API_KEY=\"{SkKey}\"\n", "sk-api-key", SkKey),
        new("stripe live key", $"stripe.api_key = '{Stripe}'\n", "stripe-key", Stripe),
        new("npm token", $"//registry.npmjs.org/:_authToken={Npm}\n", "npm-token", Npm),
        new("jwt", $"Authorization: Bearer {Jwt}\n", "jwt", Jwt),
        new("pem private key", "$ cat id_rsa\n" + Pem, "pem-private-key", PemBody),
        new("postgres url", $"DATABASE_URL=postgres://app_user:{PostgresPassword}@db.internal:5432/app\n", "connection-string-password", PostgresPassword),
        new("ado.net connection string", $"Server=sql01;Database=Orders;User Id=svc;Password={ConnectionPassword};Encrypt=true\n", "connection-string-password", ConnectionPassword),
        new("keyword password", $"root_password: {KeywordPassword}\n", "keyword-secret", KeywordPassword),
        new("credit card", $"card on file: {Card} exp 12/29\n", "credit-card", Card),
    ];

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
