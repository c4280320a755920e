namespace Broker.Policy;

/// <summary>Grants roles to identities of an issuer whose claims all match.</summary>
internal sealed record IdentityRule
{
    /// <summary>The issuer (exact).</summary>
    public required string Issuer { get; init; }

    /// <summary>Claim name → accepted values (globs); every listed claim must match (any value of a multi-valued claim).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Claims { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Roles granted.</summary>
    public required IReadOnlyList<string> Roles { get; init; }
}
