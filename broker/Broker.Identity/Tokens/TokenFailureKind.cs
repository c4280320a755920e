namespace Broker.Identity.Tokens;

/// <summary>Why a token was refused.</summary>
public enum TokenFailureKind
{
    /// <summary>Not a well-formed compact JWS (wrong segment count, bad base64url, bad JSON, duplicate members).</summary>
    Malformed,

    /// <summary>Larger than the validator accepts; refused before parsing.</summary>
    TooLarge,

    /// <summary>The <c>iss</c> is not one of the trusted issuers.</summary>
    UnknownIssuer,

    /// <summary>The header names an algorithm outside the allowlist (for example <c>none</c> or HMAC).</summary>
    AlgorithmNotAllowed,

    /// <summary>The header names a key id the issuer does not publish, even after a key refresh.</summary>
    UnknownKey,

    /// <summary>The signature does not verify with the issuer's keys.</summary>
    InvalidSignature,

    /// <summary>The token expired (beyond the allowed clock skew).</summary>
    Expired,

    /// <summary>The token's <c>nbf</c> is in the future (beyond the allowed clock skew).</summary>
    NotYetValid,

    /// <summary>The <c>aud</c> does not contain the issuer's configured audience.</summary>
    WrongAudience,

    /// <summary>A registered claim is missing or of the wrong JSON type.</summary>
    InvalidClaims,

    /// <summary>A claim the issuer's settings require is missing or has none of the required values.</summary>
    MissingRequiredClaim,

    /// <summary>The issuer's keys could not be fetched.</summary>
    KeysUnavailable,
}
