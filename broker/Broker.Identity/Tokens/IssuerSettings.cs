using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity.Tokens;

/// <summary>
/// One trusted token issuer. Keys come either from <see cref="SigningKeys"/> (a static list) or
/// from the issuer's OpenID discovery document and JWKS.
/// </summary>
public sealed record IssuerSettings
{
    /// <summary>The algorithms a token may be signed with unless an issuer narrows them.</summary>
    public static readonly IReadOnlyList<string> AllowedAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];

    /// <summary>The largest clock skew an issuer may be configured with.</summary>
    public static readonly TimeSpan MaximumClockSkew = TimeSpan.FromSeconds(60);

    /// <summary>The exact <c>iss</c> value of this issuer's tokens.</summary>
    public required string Issuer { get; init; }

    /// <summary>The audience a token must name in <c>aud</c> to be accepted here.</summary>
    public required string Audience { get; init; }

    /// <summary>
    /// Claims every token of this issuer must carry: claim name to the accepted values (the token
    /// must have at least one of them); an empty list only requires the claim to be present.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredClaims { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Accepted signing algorithms; a subset of <see cref="AllowedAlgorithms"/>.</summary>
    public IReadOnlyList<string> Algorithms { get; init; } = AllowedAlgorithms;

    /// <summary>
    /// The discovery document's address; when null and <see cref="SigningKeys"/> is null it is
    /// <see cref="Issuer"/> + <c>/.well-known/openid-configuration</c>.
    /// </summary>
    public Uri? MetadataAddress { get; init; }

    /// <summary>Whether discovery and JWKS must be fetched over https (turn off only for loopback tests).</summary>
    public bool RequireHttps { get; init; } = true;

    /// <summary>
    /// A sentence added to the refusal of a token whose key id is not one of <see cref="SigningKeys"/>,
    /// saying where this issuer's keys come from (the dev issuer: the broker's data directory).
    /// </summary>
    public string? UnknownKeyHint { get; init; }

    /// <summary>Static verification keys; when set, no discovery happens for this issuer.</summary>
    public IReadOnlyList<SecurityKey>? SigningKeys { get; init; }

    /// <summary>Tolerated clock difference for <c>exp</c> and <c>nbf</c>; at most <see cref="MaximumClockSkew"/>.</summary>
    public TimeSpan ClockSkew { get; init; } = MaximumClockSkew;

    /// <summary>How often the discovery document and JWKS are re-fetched when nothing forces it.</summary>
    public TimeSpan KeyRefreshInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The shortest time between two fetches forced by a token with an unknown key id.</summary>
    public TimeSpan MinimumForcedRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The discovery address in effect, or null for an issuer with static keys.</summary>
    public Uri? EffectiveMetadataAddress =>
        SigningKeys is not null ? null : MetadataAddress ?? new Uri(Issuer.TrimEnd('/') + "/.well-known/openid-configuration");

    /// <summary>Checks the settings for contradictions and unsafe values.</summary>
    /// <returns>The problems found; empty when the settings are usable.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Issuer))
        {
            problems.Add("issuer is empty");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            problems.Add($"issuer '{Issuer}': audience is empty");
        }

        if (Algorithms.Count == 0)
        {
            problems.Add($"issuer '{Issuer}': no algorithms are allowed");
        }

        foreach (var algorithm in Algorithms)
        {
            if (!AllowedAlgorithms.Contains(algorithm, StringComparer.Ordinal))
            {
                problems.Add($"issuer '{Issuer}': algorithm '{algorithm}' is not allowed (only {string.Join(", ", AllowedAlgorithms)})");
            }
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > MaximumClockSkew)
        {
            problems.Add($"issuer '{Issuer}': clock skew must be between 0 and {MaximumClockSkew.TotalSeconds} s");
        }

        if (KeyRefreshInterval <= TimeSpan.Zero || MinimumForcedRefreshInterval <= TimeSpan.Zero)
        {
            problems.Add($"issuer '{Issuer}': key refresh intervals must be positive");
        }

        if (SigningKeys is not null)
        {
            if (MetadataAddress is not null)
            {
                problems.Add($"issuer '{Issuer}': give either static signing keys or a metadata address, not both");
            }

            if (SigningKeys.Count == 0)
            {
                problems.Add($"issuer '{Issuer}': the static signing key list is empty");
            }

            if (SigningKeys.Any(k => k is SymmetricSecurityKey))
            {
                problems.Add($"issuer '{Issuer}': symmetric (HMAC) keys are not accepted");
            }
        }
        else if (!Uri.TryCreate(Issuer, UriKind.Absolute, out _) && MetadataAddress is null)
        {
            problems.Add($"issuer '{Issuer}': not an absolute URL, so a metadata address or static keys are needed");
        }
        else if (RequireHttps && EffectiveMetadataAddress is { } address && address.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add($"issuer '{Issuer}': metadata address '{address}' is not https");
        }

        return problems;
    }
}
