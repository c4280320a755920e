using System.Text.Json.Nodes;
using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Tokens;

/// <summary>Tokens cut short, oversized, of the wrong shape or claim types: refused before or instead of being trusted.</summary>
[Collection(OidcProviders.Name)]
public sealed class MalformedTokenTests(OidcProvidersFixture providers) : TokenTestBase(providers)
{
    [Fact]
    public async Task Truncated_signature_is_refused()
    {
        var (validator, _) = NewValidator();
        var token = await TokenAsync();

        AssertRefused(await Validate(validator, token[..^10]), TokenFailureKind.InvalidSignature);
    }

    [Fact]
    public async Task Token_truncated_inside_the_payload_is_refused()
    {
        var (validator, _) = NewValidator();
        var token = await TokenAsync();

        AssertRefused(await Validate(validator, token[..(token.IndexOf('.', StringComparison.Ordinal) + 20)]), TokenFailureKind.Malformed);
    }

    [Fact]
    public async Task Oversized_token_is_refused_before_parsing()
    {
        var (validator, backchannel) = NewValidator();

        var outcome = await Validate(validator, new string('A', TokenValidator.MaximumTokenLength + 1));

        AssertRefused(outcome, TokenFailureKind.TooLarge);
        backchannel.Total.Should().Be(0);
    }

    [Fact]
    public async Task Oversized_token_signed_by_the_provider_is_refused()
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        payload["padding"] = new string('x', TokenValidator.MaximumTokenLength);

        AssertRefused(await Validate(validator, await Trusted.SignAsync([], payload).WaitAsync(Timeout)), TokenFailureKind.TooLarge);
    }

    [Theory]
    [InlineData("sub", "12345")]
    [InlineData("sub", "true")]
    [InlineData("sub", "[\"ci-agent\"]")]
    [InlineData("exp", "\"{exp}\"")]
    [InlineData("nbf", "\"0\"")]
    [InlineData("iat", "{}")]
    [InlineData("iss", "[\"{issuer}\"]")]
    [InlineData("aud", "42")]
    [InlineData("aud", "[\"{audience}\", 7]")]
    [InlineData("jti", "1")]
    [InlineData("sub", "\"\"")]
    [InlineData("exp", "null")]
    [InlineData("exp", "1e300")]
    [InlineData("exp", "-1")]
    [InlineData("nbf", "1e300")]
    [InlineData("iat", "-5")]
    public async Task Claims_of_the_wrong_type_signed_by_the_provider_are_refused(string claim, string json)
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        json = json.Replace("{exp}", payload["exp"]!.ToJsonString()).Replace("{issuer}", Trusted.Issuer).Replace("{audience}", Audience);
        payload[claim] = JsonNode.Parse(json);

        AssertRefused(await Validate(validator, await Trusted.SignAsync([], payload).WaitAsync(Timeout)), TokenFailureKind.InvalidClaims);
    }

    [Theory]
    [InlineData("exp")]
    [InlineData("sub")]
    [InlineData("aud")]
    [InlineData("iss")]
    public async Task Token_missing_a_registered_claim_is_refused(string claim)
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        payload.Remove(claim);

        AssertRefused(await Validate(validator, await Trusted.SignAsync([], payload).WaitAsync(Timeout)), TokenFailureKind.InvalidClaims);
    }

    [Fact]
    public async Task Payload_with_duplicate_members_signed_by_the_provider_is_refused()
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();
        var json = payload.ToJsonString().TrimEnd('}') + ",\"sub\":\"admin\"}";

        AssertRefused(await Validate(validator, await Trusted.SignRawAsync([], json).WaitAsync(Timeout)), TokenFailureKind.Malformed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d.e")]
    [InlineData("not a token")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.e30")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.e30.")]
    [InlineData("e30.e30.c2ln")]
    [InlineData("W10.e30.c2ln")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.W10.c2ln")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")]
    [InlineData("eyJhbGciOjF9.e30.c2ln")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.e30.c2ln+/=")]
    [InlineData("eyJhbGciOiJSUzI1NiIsImFsZyI6Im5vbmUifQ.e30.c2ln")]
    public async Task Malformed_tokens_are_refused(string token)
    {
        var (validator, backchannel) = NewValidator();

        var outcome = await Validate(validator, token);

        outcome.IsSuccess.Should().BeFalse();
        outcome.Failure.Should().BeOneOf(TokenFailureKind.Malformed, TokenFailureKind.AlgorithmNotAllowed, TokenFailureKind.InvalidClaims);
        backchannel.Total.Should().Be(0);
    }

    [Fact]
    public async Task Bearer_prefix_is_not_stripped_by_the_validator()
    {
        var (validator, _) = NewValidator();

        AssertRefused(await Validate(validator, "Bearer " + await TokenAsync()), TokenFailureKind.Malformed);
    }
}
