namespace Broker.Policy;

/// <summary>A trusted OIDC issuer.</summary>
public sealed record IssuerDefinition
{
    /// <summary>The issuer URL (the token's <c>iss</c>), or the dev issuer's name.</summary>
    public required string Issuer { get; init; }

    /// <summary>The audience tokens must carry.</summary>
    public required string Audience { get; init; }

    /// <summary>Claims every token of this issuer must carry, each with its allowed values (globs).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredClaims { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Accepted signature algorithms: a subset of RS256 and ES256.</summary>
    public IReadOnlyList<string> Algorithms { get; init; } = ["RS256", "ES256"];
}
