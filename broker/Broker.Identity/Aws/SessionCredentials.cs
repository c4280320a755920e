namespace Broker.Identity.Aws;

/// <summary>Temporary AWS credentials issued for one session.</summary>
/// <param name="AccessKeyId">The temporary access key id (<c>ASIA…</c>).</param>
/// <param name="SecretAccessKey">The secret access key.</param>
/// <param name="SessionToken">The session token.</param>
/// <param name="Expiration">When STS stops accepting them.</param>
public sealed record SessionCredentials(string AccessKeyId, string SecretAccessKey, string SessionToken, DateTimeOffset Expiration)
{
    /// <summary>Every value that must be masked in session output.</summary>
    public IReadOnlyList<string> SecretValues => [AccessKeyId, SecretAccessKey, SessionToken];

    /// <summary>Names the key id and expiry only, so the credentials never reach a log through formatting.</summary>
    /// <returns>The redacted text.</returns>
    public override string ToString() => $"SessionCredentials {{ AccessKeyId = {AccessKeyId}, Expiration = {Expiration:O} }}";
}
