using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity.Tokens;

/// <summary>The keys that may have signed a token, or why there are none.</summary>
internal readonly record struct KeyLookup(IReadOnlyList<SecurityKey> Keys, TokenValidationOutcome? Failure)
{
    public static KeyLookup Found(IReadOnlyList<SecurityKey> keys) => new(keys, null);

    public static KeyLookup Refused(TokenFailureKind kind, string reason) => new([], TokenValidationOutcome.Refused(kind, reason));

    /// <summary>The keys named by <paramref name="keyId"/>, or all of them for a token without a key id.</summary>
    public static IReadOnlyList<SecurityKey> Select(IReadOnlyList<SecurityKey> keys, string? keyId) =>
        keyId is null ? keys : keys.Where(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal)).ToArray();
}
