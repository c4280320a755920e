using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Tokens;

/// <summary>Forged tokens: algorithm confusion, outside-the-allowlist algorithms, tampered parts and attacker-supplied keys.</summary>
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
    public async Task Critical_header_extension_is_refused()
    {
        var (validator, _) = NewValidator();

        var token = await Trusted.SignAsync(new JsonObject { ["crit"] = new JsonArray("exp"), ["exp"] = 1 }, ValidPayload()).WaitAsync(Timeout);

        AssertRefused(await Validate(validator, token), TokenFailureKind.Malformed);
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }
}
