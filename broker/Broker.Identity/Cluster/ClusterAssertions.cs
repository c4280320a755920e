using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broker.Identity.Tokens;
using Broker.Policy;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity.Cluster;

/// <summary>
/// The credential replicas present to each other, and nothing else does: short-lived forward assertions, JWTs signed
/// with HMAC-SHA256 under the cluster key every replica is given. An assertion is typed (<see cref="TokenType"/>),
/// addressed to <see cref="Audience"/> (no agent token's audience), issued by the forwarding replica's id, valid for
/// <see cref="Lifetime"/>, and names one gRPC method and one session. It carries the caller the forwarding replica
/// authenticated: its issuer, subject and claims, and its own token's expiry, which the assertion never outlives.
/// Agent tokens cannot stand in for it (they are signed with an issuer's asymmetric key, not the cluster key, and
/// carry neither the type nor the audience), and it cannot stand in for an agent token (the token validator accepts
/// only RS256 and ES256 from configured issuers).
/// </summary>
public sealed class ClusterAssertions
{
    /// <summary>The audience of every forward assertion.</summary>
    public const string Audience = "urn:broker:cluster:forward";

    /// <summary>The <c>typ</c> header of every forward assertion.</summary>
    public const string TokenType = "broker-forward+jwt";

    /// <summary>The fewest bytes a cluster key may have (the HMAC-SHA256 block of security).</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>How long an assertion is valid: one call's start, with room for a loaded machine.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>The clock difference between replicas an assertion's lifetime allows for.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private const int MaximumLength = TokenValidator.MaximumTokenLength;
    private readonly SymmetricSecurityKey _key;
    private readonly string _replicaId;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };

    /// <summary>Assertions issued as <paramref name="replicaId"/> and checked under <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is shorter than <see cref="MinimumKeyBytes"/>.</exception>
    public ClusterAssertions(ReadOnlySpan<byte> key, string replicaId, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(replicaId);
        ArgumentNullException.ThrowIfNull(time);
        if (key.Length < MinimumKeyBytes)
        {
            throw new ArgumentException($"a cluster key has at least {MinimumKeyBytes} bytes", nameof(key));
        }

        _key = new SymmetricSecurityKey(key.ToArray());
        _replicaId = replicaId;
        _time = time;
    }

    /// <summary>An assertion for <paramref name="caller"/> calling <paramref name="method"/> about <paramref name="sessionId"/>.</summary>
    public string Issue(AuthenticatedCaller caller, string method, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var now = _time.GetUtcNow();
        var expires = now + Lifetime < caller.ExpiresAt ? now + Lifetime : caller.ExpiresAt;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _replicaId,
            Audience = Audience,
            TokenType = TokenType,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                ["caller_iss"] = caller.Identity.Issuer,
                ["caller_sub"] = caller.Identity.Subject,
                ["caller_claims"] = WriteClaims(caller.Identity.Claims),
                ["caller_exp"] = caller.ExpiresAt.ToUnixTimeSeconds(),
                ["method"] = method,
                ["session"] = sessionId,
            },
        });
    }

    /// <summary>Checks <paramref name="assertion"/>; never throws for a bad one.</summary>
    public async Task<ForwardValidation> ValidateAsync(string assertion)
    {
        if (string.IsNullOrEmpty(assertion) || assertion.Length > MaximumLength)
        {
            return ForwardValidation.Refused("the forward assertion is empty or too long");
        }

        var result = await _handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidAudience = Audience,
            ValidTypes = [TokenType],
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            IssuerSigningKey = _key,
            ValidateIssuer = false,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            LifetimeValidator = (notBefore, expires, _, _) => ValidLifetime(notBefore, expires),
        }).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
        {
            return ForwardValidation.Refused(result.Exception switch
            {
                SecurityTokenInvalidTypeException => "not a forward assertion (wrong type)",
                SecurityTokenInvalidAudienceException => "not a forward assertion (wrong audience)",
                SecurityTokenInvalidAlgorithmException => "not a forward assertion (wrong algorithm)",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the forward assertion is not signed with this cluster's key",
                SecurityTokenExpiredException or SecurityTokenNotYetValidException or SecurityTokenInvalidLifetimeException or SecurityTokenNoExpirationException => "the forward assertion is outside its lifetime",
                _ => "the forward assertion could not be validated",
            });
        }

        return Read(token);
    }

    private ForwardValidation Read(JsonWebToken token)
    {
        if (!token.TryGetPayloadValue<string>("caller_iss", out var issuer) || string.IsNullOrEmpty(issuer)
            || !token.TryGetPayloadValue<string>("caller_sub", out var subject) || string.IsNullOrEmpty(subject)
            || !token.TryGetPayloadValue<string>("caller_claims", out var claimsJson)
            || !token.TryGetPayloadValue<long>("caller_exp", out var callerExpiry)
            || !token.TryGetPayloadValue<string>("method", out var method) || string.IsNullOrEmpty(method)
            || !token.TryGetPayloadValue<string>("session", out var session) || string.IsNullOrEmpty(session)
            || string.IsNullOrEmpty(token.Issuer))
        {
            return ForwardValidation.Refused("the forward assertion lacks a required claim");
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(callerExpiry, 0, DateTimeOffset.MaxValue.ToUnixTimeSeconds() - 86_400));
        if (expiresAt + ClockSkew <= _time.GetUtcNow())
        {
            return ForwardValidation.Refused("the caller's own token has expired");
        }

        return ReadClaims(claimsJson) is { } claims
            ? new ForwardValidation(new ForwardedCall(new AuthenticatedCaller(new CallerIdentity(issuer, subject, claims), expiresAt), method, session, token.Issuer), null)
            : ForwardValidation.Refused("the forward assertion's caller claims are malformed");
    }

    // The library's own lifetime check reads the wall clock; this one reads the TimeProvider, and caps the lifetime so
    // that no assertion, however it was signed, is good for longer than one forwarded call needs.
    private bool ValidLifetime(DateTime? notBefore, DateTime? expires)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp || notBefore is not { } nbf)
        {
            throw new SecurityTokenNoExpirationException("a forward assertion has nbf and exp");
        }

        if (exp - nbf > Lifetime || nbf - ClockSkew > now)
        {
            throw new SecurityTokenInvalidLifetimeException("outside the forward assertion lifetime");
        }

        return exp + ClockSkew > now ? true : throw new SecurityTokenExpiredException("expired");
    }

    private static string WriteClaims(IReadOnlyDictionary<string, IReadOnlyList<string>> claims)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, values) in claims)
            {
                writer.WriteStartArray(name);
                foreach (var value in values)
                {
                    writer.WriteStringValue(value);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static Dictionary<string, IReadOnlyList<string>>? ReadClaims(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Array || property.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String)
                    || !claims.TryAdd(property.Name, [.. property.Value.EnumerateArray().Select(v => v.GetString()!)]))
                {
                    return null;
                }
            }

            return claims;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
