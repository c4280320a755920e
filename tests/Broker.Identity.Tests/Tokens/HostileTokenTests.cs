using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Tokens;

[Collection(OidcProviders.Name)]
public sealed class HostileTokenTests(OidcProvidersFixture providers) : TokenTestBase(providers)
{
    [Fact]
    public async Task Token_from_the_provider_is_accepted_with_its_claims()
    {
        var (validator, _) = NewValidator();

        var outcome = await Validate(validator, await TokenAsync());

        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
        outcome.Caller!.Identity.Issuer.Should().Be(Trusted.Issuer);
        outcome.Caller.Identity.Subject.Should().Be("ci-agent");
        outcome.Caller.Identity.Claims["groups"].Should().Equal("agents", "deployers");
        outcome.Caller.Identity.Claims["repository"].Should().Equal("acme/widgets");
        outcome.Caller.Identity.Claims["ref"].Should().Equal("refs/heads/main");
        outcome.Caller.Identity.Claims["client_id"].Should().Equal("ci-agent");
        outcome.Caller.ExpiresAt.Should().BeCloseTo(DateTimeOffset.UtcNow.AddMinutes(5), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Alg_none_without_signature_is_refused()
    {
        var (validator, backchannel) = NewValidator();
        var parts = (await TokenAsync()).Split('.');

        var outcome = await Validate(validator, $"{Segment("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.");

        AssertRefused(outcome, TokenFailureKind.AlgorithmNotAllowed);
        backchannel.Total.Should().Be(0);
    }

    [Fact]
    public async Task Alg_none_with_the_original_signature_is_refused()
    {
        var (validator, _) = NewValidator();
        var parts = (await TokenAsync()).Split('.');

        var outcome = await Validate(validator, $"{Segment("""{"alg":"none"}""")}.{parts[1]}.{parts[2]}");

        AssertRefused(outcome, TokenFailureKind.AlgorithmNotAllowed);
    }

    [Theory]
    [InlineData("jwk-json")]
    [InlineData("modulus")]
    public async Task Hs256_signed_with_the_issuers_public_key_is_refused(string secretForm)
    {
        var (validator, _) = NewValidator();
        var jwks = await Trusted.GetJwksAsync().WaitAsync(Timeout);
        var publicJwk = jwks["keys"]![0]!.AsObject();
        var secret = secretForm == "jwk-json"
            ? Encoding.UTF8.GetBytes(publicJwk.ToJsonString())
            : Convert.FromBase64String(Pad(publicJwk["n"]!.GetValue<string>()));
        var header = Segment(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = publicJwk["kid"]!.GetValue<string>() }.ToJsonString());
        var payload = Segment(ValidPayload().ToJsonString());
        var signature = Base64UrlEncode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes($"{header}.{payload}")));

        var outcome = await Validate(validator, $"{header}.{payload}.{signature}");

        AssertRefused(outcome, TokenFailureKind.AlgorithmNotAllowed);
    }

    [Theory]
    [InlineData("HS512")]
    [InlineData("RS384")]
    [InlineData("PS256")]
    [InlineData("ES512")]
    [InlineData("NONE")]
    [InlineData("")]
    public async Task Algorithms_outside_the_allowlist_are_refused_even_when_the_provider_signed(string algorithm)
    {
        var (validator, _) = NewValidator();

        var token = await Trusted.SignAsync(new JsonObject { ["alg"] = algorithm }, ValidPayload()).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.AlgorithmNotAllowed);
    }

    [Fact]
    public async Task Issuer_narrowed_to_es256_refuses_its_rs256_tokens()
    {
        var (validator, _) = NewValidator(TrustedSettings with { Algorithms = ["ES256"] });

        AssertRefused(await Validate(validator, await TokenAsync()), TokenFailureKind.AlgorithmNotAllowed);
    }

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
    public async Task Tampered_payload_is_refused()
    {
        var (validator, _) = NewValidator();
        var parts = (await TokenAsync()).Split('.');
        var payload = JsonNode.Parse(DecodeSegment(parts[1]))!.AsObject();
        payload["groups"] = new JsonArray("admins");

        var outcome = await Validate(validator, $"{parts[0]}.{Segment(payload.ToJsonString())}.{parts[2]}");

        AssertRefused(outcome, TokenFailureKind.InvalidSignature);
    }

    [Fact]
    public async Task Tampered_header_kid_pointing_to_another_published_key_is_refused()
    {
        var (validator, _) = NewValidator();
        var token = await TokenAsync();
        await Trusted.RotateKeysAsync().WaitAsync(Timeout);
        var newKid = (await Trusted.GetJwksAsync().WaitAsync(Timeout))["keys"]![0]!["kid"]!.GetValue<string>();
        var parts = token.Split('.');
        var header = JsonNode.Parse(DecodeSegment(parts[0]))!.AsObject();
        header["kid"] = newKid;

        var outcome = await Validate(validator, $"{Segment(header.ToJsonString())}.{parts[1]}.{parts[2]}");

        AssertRefused(outcome, TokenFailureKind.InvalidSignature);
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

    [Fact]
    public async Task Embedded_jwk_header_with_the_attackers_key_is_ignored_and_refused()
    {
        var (validator, _) = NewValidator();
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = attacker.ExportParameters(false);
        var header = new JsonObject
        {
            ["alg"] = "ES256",
            ["jwk"] = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncode(p.Q.X), ["y"] = Base64UrlEncode(p.Q.Y) },
        };
        var signingInput = $"{Segment(header.ToJsonString())}.{Segment(ValidPayload().ToJsonString())}";
        var signature = attacker.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);

        var outcome = await Validate(validator, $"{signingInput}.{Base64UrlEncode(signature)}");

        AssertRefused(outcome, TokenFailureKind.InvalidSignature);
    }

    [Fact]
    public async Task Jku_and_x5u_headers_are_never_followed()
    {
        var (validator, backchannel) = NewValidator();
        var header = new JsonObject { ["kid"] = "attacker-key", ["jku"] = Trusted.Issuer + "/attacker-jwks", ["x5u"] = Trusted.Issuer + "/attacker-cert" };

        var outcome = await Validate(validator, await Providers.Untrusted.SignAsync(header, ValidPayload()).WaitAsync(Timeout));

        AssertRefused(outcome, TokenFailureKind.UnknownKey);
        backchannel.Count("/attacker-jwks").Should().Be(0);
        backchannel.Count("/attacker-cert").Should().Be(0);
    }

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

    [Fact]
    public async Task Critical_header_extension_is_refused()
    {
        var (validator, _) = NewValidator();

        var token = await Trusted.SignAsync(new JsonObject { ["crit"] = new JsonArray("exp"), ["exp"] = 1 }, ValidPayload()).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.Malformed);
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

    private static void AssertRefused(TokenValidationOutcome outcome, TokenFailureKind kind)
    {
        outcome.IsSuccess.Should().BeFalse();
        outcome.Failure.Should().Be(kind, outcome.Reason);
        outcome.Reason.Should().NotBeNullOrEmpty();
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }
}
