namespace Broker.Masking.Detection;

/// <summary>The built-in detector names, as roles spell them in <c>enable</c> / <c>disable</c>.</summary>
internal static class DetectorNames
{
    public const string AwsAccessKeyId = "aws-access-key-id";
    public const string AwsSecretAccessKey = "aws-secret-access-key";
    public const string AwsSessionToken = "aws-session-token";
    public const string JsonSecretField = "json-secret-field";
    public const string PemPrivateKey = "pem-private-key";
    public const string PrivateKeyBody = "private-key-body";
    public const string Jwt = "jwt";
    public const string ConnectionStringPassword = "connection-string-password";
    public const string KeywordSecret = "keyword-secret";
    public const string GitHubToken = "github-token";
    public const string GitLabToken = "gitlab-token";
    public const string SlackToken = "slack-token";
    public const string SkApiKey = "sk-api-key";
    public const string StripeKey = "stripe-key";
    public const string NpmToken = "npm-token";
    public const string GoogleApiKey = "google-api-key";
    public const string VendorToken = "vendor-token";
    public const string AzureStorageKey = "azure-storage-key";
    public const string WebhookUrl = "webhook-url";
    public const string CreditCard = "credit-card";
    public const string Email = "email";

    /// <summary>All built-in names; the order breaks ties when overlapping matches are equally long.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        PemPrivateKey, PrivateKeyBody, AwsAccessKeyId, AwsSecretAccessKey, AwsSessionToken, GitHubToken, GitLabToken, SlackToken,
        StripeKey, NpmToken, GoogleApiKey, SkApiKey, VendorToken, Jwt, AzureStorageKey, WebhookUrl, JsonSecretField,
        ConnectionStringPassword, KeywordSecret, CreditCard, Email,
    ];

    public static readonly IReadOnlyList<string> OffByDefault = [Email];

    private static readonly Dictionary<string, int> s_rank = All.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i * 2);

    /// <summary>
    /// Tie-break between equally long matches: built-ins in <see cref="All"/> order, and registered or
    /// custom names just before the generic <see cref="KeywordSecret"/>.
    /// </summary>
    public static int Rank(string name) => s_rank.TryGetValue(name, out var rank) ? rank : s_rank[KeywordSecret] - 1;
}
