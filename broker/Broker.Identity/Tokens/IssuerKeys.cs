using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity.Tokens;

/// <summary>Where one issuer's verification keys come from.</summary>
internal abstract class IssuerKeys
{
    /// <summary>Only asymmetric keys may verify tokens: an HMAC key here would let a public value sign.</summary>
    public static bool IsAsymmetric(SecurityKey key) => key switch
    {
        RsaSecurityKey or ECDsaSecurityKey => true,
        JsonWebKey jwk => jwk.Kty is JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve,
        X509SecurityKey => true,
        _ => false,
    };

    public abstract ValueTask<KeyLookup> FindAsync(string? keyId, CancellationToken cancellationToken);
}

/// <summary>Keys fixed in configuration (the dev issuer, air-gapped installs).</summary>
internal sealed class StaticIssuerKeys(IssuerSettings settings, IReadOnlyList<SecurityKey> keys) : IssuerKeys
{
    private readonly IReadOnlyList<SecurityKey> _keys = keys.Where(IsAsymmetric).ToArray();

    public override ValueTask<KeyLookup> FindAsync(string? keyId, CancellationToken cancellationToken)
    {
        var matching = KeyLookup.Select(_keys, keyId);
        if (matching.Count > 0)
        {
            return ValueTask.FromResult(KeyLookup.Found(matching));
        }

        // Names the issuer (a token that verifies against no key is most often one minted for another broker).
        var reason = $"the token's key id is not one of the keys of issuer '{settings.Issuer}'";
        return ValueTask.FromResult(KeyLookup.Refused(TokenFailureKind.UnknownKey, settings.UnknownKeyHint is { } hint ? $"{reason}; {hint}" : reason));
    }
}
