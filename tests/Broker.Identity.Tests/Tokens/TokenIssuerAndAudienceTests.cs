using System.Text.Json.Nodes;
using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Tokens;

/// <summary>Whose token it is: the audience, the issuer, the key id, and providers the broker does not trust.</summary>
[Collection(OidcProviders.Name)]
public sealed class TokenIssuerAndAudienceTests(OidcProvidersFixture providers) : TokenTestBase(providers)
{
    [Fact]
    public async Task Token_for_another_audience_is_refused()
    {
        var (validator, _) = NewValidator();

        AssertRefused(await Validate(validator, await TokenAsync(audience: "https://other-service.test")), TokenFailureKind.WrongAudience);
    }

    [Fact]
    public async Task Token_with_an_audience_array_without_ours_is_refused_and_with_ours_accepted()
    {
        var (validator, _) = NewValidator();
        var without = ValidPayload();
        without["aud"] = new JsonArray("https://a.test", "https://b.test");
        var with = ValidPayload();
        with["aud"] = new JsonArray("https://a.test", Audience);

        AssertRefused(await Validate(validator, await Trusted.SignAsync([], without).WaitAsync(Timeout)), TokenFailureKind.WrongAudience);
        (await Validate(validator, await Trusted.SignAsync([], with).WaitAsync(Timeout))).IsSuccess.Should().BeTrue();
    }

    [Theory]
    [InlineData("https://evil.test")]
    [InlineData("{trusted}/")]
    [InlineData("{TRUSTED}")]
    public async Task Token_with_another_iss_is_refused_without_any_network_call(string issuer)
    {
        var (validator, backchannel) = NewValidator();
        issuer = issuer.Replace("{trusted}", Trusted.Issuer).Replace("{TRUSTED}", Trusted.Issuer.ToUpperInvariant());

        var token = await Trusted.SignAsync([], ValidPayload(issuer)).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.UnknownIssuer);
        backchannel.Total.Should().Be(0);
    }

    [Fact]
    public async Task Unknown_kid_is_refused_after_one_jwks_refresh()
    {
        var (validator, backchannel) = NewValidator();
        (await Validate(validator, await TokenAsync())).IsSuccess.Should().BeTrue();
        backchannel.Jwks.Should().Be(1);
        Time.Advance(TimeSpan.FromSeconds(31));

        var token = await Trusted.SignAsync(new JsonObject { ["kid"] = "not-a-published-key" }, ValidPayload()).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.UnknownKey);
        backchannel.Jwks.Should().Be(2);
    }

    [Fact]
    public async Task Token_from_an_untrusted_provider_is_refused()
    {
        var (validator, backchannel) = NewValidator();

        var token = await Providers.Untrusted.GetAccessTokenAsync(OidcClient.CiAgent.ClientId, Audience).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.UnknownIssuer);
        backchannel.Total.Should().Be(0);
    }

    [Fact]
    public async Task Untrusted_provider_claiming_the_trusted_issuer_is_refused()
    {
        var (validator, _) = NewValidator();

        var token = await Providers.Untrusted.SignAsync([], ValidPayload(Trusted.Issuer)).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.UnknownKey);
    }

    [Fact]
    public async Task Untrusted_provider_claiming_the_trusted_issuer_and_its_kid_is_refused()
    {
        var (validator, _) = NewValidator();
        var trustedKid = (await Trusted.GetJwksAsync().WaitAsync(Timeout))["keys"]![0]!["kid"]!.GetValue<string>();

        var token = await Providers.Untrusted.SignAsync(new JsonObject { ["kid"] = trustedKid }, ValidPayload(Trusted.Issuer)).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.InvalidSignature);
    }
}
