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
internal sealed class StaticIssuerKeys(IReadOnlyList<SecurityKey> keys) : IssuerKeys
{
    private readonly IReadOnlyList<SecurityKey> _keys = keys.Where(IsAsymmetric).ToArray();

    public override ValueTask<KeyLookup> FindAsync(string? keyId, CancellationToken cancellationToken)
    {
        var matching = KeyLookup.Select(_keys, keyId);
        return ValueTask.FromResult(matching.Count == 0
            ? KeyLookup.Refused(TokenFailureKind.UnknownKey, "the token's key id is not one of the issuer's keys")
            : KeyLookup.Found(matching));
    }
}
