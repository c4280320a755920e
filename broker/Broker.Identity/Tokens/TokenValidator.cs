using System.Collections.Frozen;
using Broker.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity.Tokens;

/// <summary>
/// Validates bearer tokens against every trusted issuer at once. One instance per broker;
/// thread-safe. The issuer is chosen by the token's <c>iss</c> before anything else, so a token
/// naming an unknown issuer is refused without any network call.
/// </summary>
public sealed partial class TokenValidator : IDisposable
{
    /// <summary>Tokens longer than this many characters are refused before parsing.</summary>
    public const int MaximumTokenLength = 16 * 1024;

    private readonly FrozenDictionary<string, TrustedIssuer> _issuers;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ValidatedTokenCache _validated;
    private readonly ILogger<TokenValidator> _logger;

    /// <summary>Builds a validator trusting <paramref name="issuers"/>.</summary>
    /// <param name="issuers">The trusted issuers; their <see cref="IssuerSettings.Issuer"/> values must be distinct.</param>
    /// <param name="time">The clock for token lifetimes and key refresh scheduling.</param>
    /// <param name="backchannel">The HTTP handler for discovery and JWKS requests; null for a default one.</param>
    /// <param name="logger">Receives key-fetch and refusal events (never token contents).</param>
    /// <exception cref="ArgumentException">An issuer's settings are invalid, or two issuers share an <c>iss</c>.</exception>
    public TokenValidator(IEnumerable<IssuerSettings> issuers, TimeProvider time, HttpMessageHandler? backchannel, ILogger<TokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _time = time;
        _validated = new ValidatedTokenCache(time);
        _logger = logger;
        _http = backchannel is null ? new HttpClient() : new HttpClient(backchannel, disposeHandler: false);
        _http.Timeout = TimeSpan.FromSeconds(10);

        var trusted = new Dictionary<string, TrustedIssuer>(StringComparer.Ordinal);
        foreach (var settings in issuers)
        {
            var problems = settings.Validate();
            if (problems.Count > 0)
            {
                throw new ArgumentException("Invalid trusted issuer: " + string.Join("; ", problems), nameof(issuers));
            }

            IssuerKeys keys = settings.SigningKeys is { } staticKeys
                ? new StaticIssuerKeys(settings, staticKeys)
                : new DiscoveryIssuerKeys(settings, _http, time, logger);
            if (!trusted.TryAdd(settings.Issuer, new TrustedIssuer(settings, keys)))
            {
                throw new ArgumentException($"Issuer '{settings.Issuer}' is configured twice", nameof(issuers));
            }
        }

        _issuers = trusted.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The issuers this validator trusts.</summary>
    public IEnumerable<string> Issuers => _issuers.Keys;

    /// <summary>Validates <paramref name="token"/>; never throws for a bad token.</summary>
    /// <param name="token">The compact JWS, without any <c>Bearer</c> prefix.</param>
    /// <param name="cancellationToken">Cancels a key fetch in progress.</param>
    /// <returns>The caller's identity, or why the token was refused.</returns>
    public async Task<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var outcome = await ValidateCoreAsync(token, cancellationToken).ConfigureAwait(false);
        if (!outcome.IsSuccess)
        {
            LogRefused(_logger, outcome.Failure, outcome.Reason);
        }

        return outcome;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var issuer in _issuers.Values)
        {
            (issuer.Keys as IDisposable)?.Dispose();
        }

        _http.Dispose();
    }

    private async Task<TokenValidationOutcome> ValidateCoreAsync(string token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return TokenValidationOutcome.Refused(TokenFailureKind.Malformed, "empty token");
        }

        if (token.Length > MaximumTokenLength)
        {
            return TokenValidationOutcome.Refused(TokenFailureKind.TooLarge, $"token longer than {MaximumTokenLength} characters");
        }

        if (_validated.TryGet(token, out var known))
        {
            return TokenValidationOutcome.Success(known);
        }

        var shape = TokenShape.Parse(token, IssuerSettings.AllowedAlgorithms, out var malformed);
        if (shape is null)
        {
            return malformed!;
        }

        if (!_issuers.TryGetValue(shape.Issuer, out var issuer))
        {
            return TokenValidationOutcome.Refused(TokenFailureKind.UnknownIssuer, "the token's issuer is not trusted");
        }

        if (!issuer.Settings.Algorithms.Contains(shape.Algorithm, StringComparer.Ordinal))
        {
            return TokenValidationOutcome.Refused(TokenFailureKind.AlgorithmNotAllowed, $"algorithm '{shape.Algorithm}' is not allowed for this issuer");
        }

        var lookup = await issuer.Keys.FindAsync(shape.KeyId, cancellationToken).ConfigureAwait(false);
        if (lookup.Failure is { } keyFailure)
        {
            return keyFailure;
        }

        var result = await _handler.ValidateTokenAsync(token, issuer.Parameters(lookup.Keys, shape.KeyId is null, _time)).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return Classify(result.Exception);
        }

        if (RequiredClaimsMissing(issuer.Settings, shape.Claims) is { } missing)
        {
            return TokenValidationOutcome.Refused(TokenFailureKind.MissingRequiredClaim, $"required claim '{missing}' is missing or has no accepted value");
        }

        var caller = new AuthenticatedCaller(new CallerIdentity(shape.Issuer, shape.Subject, shape.Claims), shape.ExpiresAt);
        _validated.Add(token, caller, issuer.Settings.ClockSkew);
        return TokenValidationOutcome.Success(caller);
    }

    private static string? RequiredClaimsMissing(IssuerSettings settings, IReadOnlyDictionary<string, IReadOnlyList<string>> claims)
    {
        foreach (var (name, accepted) in settings.RequiredClaims)
        {
            if (!claims.TryGetValue(name, out var values) || values.Count == 0 ||
                (accepted.Count > 0 && !values.Any(v => accepted.Contains(v, StringComparer.Ordinal))))
            {
                return name;
            }
        }

        return null;
    }

    private static TokenValidationOutcome Classify(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => TokenValidationOutcome.Refused(TokenFailureKind.Expired, "the token has expired"),
        SecurityTokenNotYetValidException => TokenValidationOutcome.Refused(TokenFailureKind.NotYetValid, "the token is not valid yet"),
        SecurityTokenInvalidLifetimeException => TokenValidationOutcome.Refused(TokenFailureKind.InvalidClaims, "the token's lifetime is invalid"),
        SecurityTokenNoExpirationException => TokenValidationOutcome.Refused(TokenFailureKind.InvalidClaims, "the token has no expiry"),
        SecurityTokenInvalidAudienceException => TokenValidationOutcome.Refused(TokenFailureKind.WrongAudience, "the token is not meant for this broker"),
        SecurityTokenInvalidIssuerException => TokenValidationOutcome.Refused(TokenFailureKind.UnknownIssuer, "the token's issuer is not trusted"),
        SecurityTokenInvalidAlgorithmException => TokenValidationOutcome.Refused(TokenFailureKind.AlgorithmNotAllowed, "the token's algorithm is not allowed"),
        SecurityTokenSignatureKeyNotFoundException => TokenValidationOutcome.Refused(TokenFailureKind.InvalidSignature, "no issuer key verifies the signature"),
        SecurityTokenInvalidSignatureException => TokenValidationOutcome.Refused(TokenFailureKind.InvalidSignature, "the token's signature does not verify"),
        _ => TokenValidationOutcome.Refused(TokenFailureKind.Malformed, "the token could not be validated"),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Token refused: {Failure}: {Reason}")]
    private static partial void LogRefused(ILogger logger, TokenFailureKind failure, string reason);

    private sealed class TrustedIssuer(IssuerSettings settings, IssuerKeys keys)
    {
        public IssuerSettings Settings { get; } = settings;

        public IssuerKeys Keys { get; } = keys;

        public TokenValidationParameters Parameters(IReadOnlyList<SecurityKey> signingKeys, bool tryAllKeys, TimeProvider time) => new()
        {
            ValidIssuer = Settings.Issuer,
            ValidAudience = Settings.Audience,
            ValidAlgorithms = Settings.Algorithms,
            IssuerSigningKeys = signingKeys,
            TryAllIssuerSigningKeys = tryAllKeys,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            ClockSkew = Settings.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, _) => ValidateLifetime(notBefore, expires, time),
            SaveSigninToken = false,
        };

        // The library's own lifetime check reads the wall clock; this one reads the broker's TimeProvider.
        private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, TimeProvider time)
        {
            var now = time.GetUtcNow().UtcDateTime;
            if (expires is not { } exp)
            {
                throw new SecurityTokenNoExpirationException("no expiry");
            }

            if (notBefore is { } nbf && nbf > exp)
            {
                throw new SecurityTokenInvalidLifetimeException("not-before is after expiry");
            }

            if (notBefore is { } start && start - Settings.ClockSkew > now)
            {
                throw new SecurityTokenNotYetValidException("not valid yet");
            }

            return exp + Settings.ClockSkew > now
                ? true
                : throw new SecurityTokenExpiredException("expired");
        }
    }
}
