using System.Text;
using System.Text.Json.Nodes;
using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Identity.Tests.Tokens;

public abstract class TokenTestBase : IDisposable
{
    protected const string Audience = "https://broker.test";
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<IDisposable> _owned = [];

    protected TokenTestBase(OidcProvidersFixture providers)
    {
        Providers = providers;
        Time = new FakeTimeProvider(DateTimeOffset.UtcNow);
    }

    protected OidcProvidersFixture Providers { get; }

    protected OidcProviderFixture Trusted => Providers.Trusted;

    protected FakeTimeProvider Time { get; }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    protected IssuerSettings TrustedSettings => new()
    {
        Issuer = Trusted.Issuer,
        Audience = Audience,
        RequireHttps = false,
    };

    protected (TokenValidator Validator, CountingHandler Backchannel) NewValidator(params IssuerSettings[] issuers)
    {
        var backchannel = new CountingHandler();
        var validator = new TokenValidator(issuers.Length == 0 ? [TrustedSettings] : issuers, Time, backchannel, NullLogger<TokenValidator>.Instance);
        _owned.Add(validator);
        _owned.Add(backchannel);
        return (validator, backchannel);
    }

    protected Task<string> TokenAsync(string? audience = null, OidcClient? client = null) =>
        Trusted.GetAccessTokenAsync((client ?? OidcClient.CiAgent).ClientId, audience ?? Audience).WaitAsync(Timeout);

    protected static Task<TokenValidationOutcome> Validate(TokenValidator validator, string token) =>
        validator.ValidateAsync(token, CancellationToken.None).WaitAsync(Timeout);

    /// <summary>A payload the trusted provider would issue, valid now, as a starting point for variants.</summary>
    protected JsonObject ValidPayload(string? issuer = null)
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        return new JsonObject
        {
            ["iss"] = issuer ?? Trusted.Issuer,
            ["sub"] = "ci-agent",
            ["aud"] = Audience,
            ["iat"] = now,
            ["exp"] = now + 300,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
    }

    protected static string Segment(string json) => Base64UrlEncode(Encoding.UTF8.GetBytes(json));

    protected static string Base64UrlEncode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    protected static string DecodeSegment(string segment)
    {
        var padded = segment.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }

    protected static void AssertRefused(TokenValidationOutcome outcome, TokenFailureKind kind)
    {
        outcome.IsSuccess.Should().BeFalse();
        outcome.Failure.Should().Be(kind, outcome.Reason);
        outcome.Reason.Should().NotBeNullOrEmpty();
    }
}
