using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Tokens;

/// <summary>Expiry and not-before, with the clock skew, on fake time.</summary>
[Collection(OidcProviders.Name)]
public sealed class TokenLifetimeTests(OidcProvidersFixture providers) : TokenTestBase(providers)
{
    [Fact]
    public async Task Expired_token_is_refused()
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        payload["iat"] = Time.GetUtcNow().AddMinutes(-10).ToUnixTimeSeconds();
        payload["exp"] = Time.GetUtcNow().AddSeconds(-61).ToUnixTimeSeconds();

        AssertRefused(await Validate(validator, await Trusted.SignAsync([], payload).WaitAsync(Timeout)), TokenFailureKind.Expired);
    }

    [Fact]
    public async Task Provider_token_is_refused_once_its_lifetime_and_the_skew_have_passed()
    {
        var (validator, _) = NewValidator();
        var token = await TokenAsync();
        (await Validate(validator, token)).IsSuccess.Should().BeTrue();

        Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(62));

        AssertRefused(await Validate(validator, token), TokenFailureKind.Expired);
    }

    [Fact]
    public async Task Not_before_beyond_the_skew_is_refused()
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        payload["nbf"] = Time.GetUtcNow().AddSeconds(90).ToUnixTimeSeconds();

        AssertRefused(await Validate(validator, await Trusted.SignAsync([], payload).WaitAsync(Timeout)), TokenFailureKind.NotYetValid);
    }

    [Fact]
    public async Task Not_before_within_the_skew_is_accepted()
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        payload["nbf"] = Time.GetUtcNow().AddSeconds(30).ToUnixTimeSeconds();

        var outcome = await Validate(validator, await Trusted.SignAsync([], payload).WaitAsync(Timeout));

        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
    }

    [Fact]
    public async Task Not_before_after_expiry_is_refused()
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        payload["nbf"] = Time.GetUtcNow().AddSeconds(400).ToUnixTimeSeconds();
        Time.Advance(TimeSpan.FromSeconds(350));

        AssertRefused(await Validate(validator, await Trusted.SignAsync([], payload).WaitAsync(Timeout)), TokenFailureKind.InvalidClaims);
    }
}
