namespace Broker.TestSupport.Oidc;

/// <summary>A client-credentials client of the test OIDC provider and the extra claims its access tokens carry.</summary>
/// <param name="ClientId">The client id; also the token's <c>sub</c>.</param>
/// <param name="ClientSecret">The client secret (client_secret_post).</param>
/// <param name="Claims">Extra access-token claims, e.g. <c>groups</c>, <c>repository</c>, <c>ref</c>; values are strings or string arrays.</param>
public sealed record OidcClient(string ClientId, string ClientSecret, IReadOnlyDictionary<string, object> Claims)
{
    /// <summary>A CI-like agent: groups, repository and ref claims.</summary>
    public static OidcClient CiAgent { get; } = new(
        "ci-agent",
        "ci-agent-secret-0123456789abcdef0123456789",
        new Dictionary<string, object>
        {
            ["groups"] = new[] { "agents", "deployers" },
            ["repository"] = "acme/widgets",
            ["ref"] = "refs/heads/main",
        });

    /// <summary>A second agent with different claims.</summary>
    public static OidcClient ReviewAgent { get; } = new(
        "review-agent",
        "review-agent-secret-0123456789abcdef01234567",
        new Dictionary<string, object>
        {
            ["groups"] = new[] { "agents" },
            ["repository"] = "acme/docs",
            ["ref"] = "refs/pull/7/merge",
        });
}
