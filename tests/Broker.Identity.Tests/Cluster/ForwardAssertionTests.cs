using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Broker.Identity.Cluster;
using Broker.Identity.Tests.Tokens;
using Broker.Identity.Tokens;
using Broker.Policy;
using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Cluster;

/// <summary>
/// The replicas' forward assertions (cluster key, HMAC-SHA256): what one replica issues another accepts with the
/// caller intact; nothing else passes for one (agent tokens, other keys, other audiences or types, tampering, a
/// lifetime past its window or longer than one call needs), and one never passes for an agent token.
/// </summary>
[Collection(OidcProviders.Name)]
public sealed class ForwardAssertionTests(OidcProvidersFixture providers) : TokenTestBase(providers)
{
    private const string Method = "/broker.v1.SessionService/TerminateSession";
    private static readonly byte[] ClusterKey = RandomNumberGenerator.GetBytes(48);

    private static AuthenticatedCaller Caller(DateTimeOffset expires) => new(
        new CallerIdentity("https://issuer.test", "observer-1", new Dictionary<string, IReadOnlyList<string>> { ["groups"] = ["observers", "ops \"on\" call"], ["scope"] = [] }),
        expires);

    [Fact]
    public async Task An_assertion_from_one_replica_gives_another_the_callers_identity_method_and_session()
    {
        var issued = new ClusterAssertions(ClusterKey, "replica-b", Time).Issue(Caller(Time.GetUtcNow().AddHours(1)), Method, "s-1");

        var outcome = await new ClusterAssertions(ClusterKey, "replica-a", Time).ValidateAsync(issued);

        outcome.Refusal.Should().BeNull();
        var call = outcome.Call!;
        call.ForwardedBy.Should().Be("replica-b");
        call.Method.Should().Be(Method);
        call.SessionId.Should().Be("s-1");
        call.Caller.Identity.Issuer.Should().Be("https://issuer.test");
        call.Caller.Identity.Subject.Should().Be("observer-1");
        call.Caller.Identity.Claims["groups"].Should().Equal("observers", "ops \"on\" call");
        call.Caller.Identity.Claims["scope"].Should().BeEmpty();
        call.Caller.ExpiresAt.Should().Be(DateTimeOffset.FromUnixTimeSeconds(Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds()));
    }

    [Fact]
    public async Task An_agent_token_presented_as_a_forward_assertion_is_refused()
    {
        var agentToken = await TokenAsync();

        var outcome = await Holder().ValidateAsync(agentToken);

        outcome.Call.Should().BeNull();
        outcome.Refusal.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_forward_assertion_presented_as_an_agent_token_is_refused()
    {
        var (validator, backchannel) = NewValidator();
        var assertion = new ClusterAssertions(ClusterKey, "replica-b", Time).Issue(Caller(Time.GetUtcNow().AddHours(1)), Method, "s-1");

        var outcome = await Validate(validator, assertion);

        outcome.IsSuccess.Should().BeFalse();
        outcome.Failure.Should().Be(TokenFailureKind.AlgorithmNotAllowed);
        backchannel.Total.Should().Be(0);
    }

    [Fact]
    public async Task A_forward_assertion_naming_the_trusted_issuer_and_audience_is_still_refused_as_an_agent_token()
    {
        var (validator, _) = NewValidator();
        var payload = ValidPayload();

        var outcome = await Validate(validator, Sign(new JsonObject { ["alg"] = "HS256", ["typ"] = ClusterAssertions.TokenType }, payload, ClusterKey));

        outcome.IsSuccess.Should().BeFalse();
        outcome.Failure.Should().Be(TokenFailureKind.AlgorithmNotAllowed);
    }

    [Fact]
    public async Task An_assertion_signed_with_another_cluster_key_is_refused()
    {
        var assertion = new ClusterAssertions(RandomNumberGenerator.GetBytes(48), "intruder", Time).Issue(Caller(Time.GetUtcNow().AddHours(1)), Method, "s-1");

        (await Holder().ValidateAsync(assertion)).Call.Should().BeNull();
    }

    [Fact]
    public async Task An_assertion_whose_payload_was_changed_after_signing_is_refused()
    {
        var parts = new ClusterAssertions(ClusterKey, "replica-b", Time).Issue(Caller(Time.GetUtcNow().AddHours(1)), Method, "s-1").Split('.');
        var payload = JsonNode.Parse(DecodeSegment(parts[1]))!.AsObject();
        payload["caller_sub"] = "operator-1";

        (await Holder().ValidateAsync($"{parts[0]}.{Segment(payload.ToJsonString())}.{parts[2]}")).Call.Should().BeNull();
    }

    [Fact]
    public async Task An_unsigned_assertion_is_refused()
    {
        var parts = new ClusterAssertions(ClusterKey, "replica-b", Time).Issue(Caller(Time.GetUtcNow().AddHours(1)), Method, "s-1").Split('.');

        (await Holder().ValidateAsync($"{Segment("""{"alg":"none","typ":"broker-forward+jwt"}""")}.{parts[1]}.")).Call.Should().BeNull();
    }

    [Theory]
    [InlineData("https://broker.test", ClusterAssertions.TokenType)]
    [InlineData(ClusterAssertions.Audience, "JWT")]
    public async Task A_token_signed_with_the_cluster_key_but_of_another_audience_or_type_is_refused(string audience, string type)
    {
        var payload = AssertionPayload(Time.GetUtcNow(), TimeSpan.FromSeconds(20));
        payload["aud"] = audience;

        (await Holder().ValidateAsync(Sign(new JsonObject { ["alg"] = "HS256", ["typ"] = type }, payload, ClusterKey))).Call.Should().BeNull();
    }

    [Fact]
    public async Task An_assertion_signed_with_the_cluster_key_for_longer_than_its_lifetime_is_refused()
    {
        var payload = AssertionPayload(Time.GetUtcNow(), TimeSpan.FromHours(1));

        var outcome = await Holder().ValidateAsync(Sign(new JsonObject { ["alg"] = "HS256", ["typ"] = ClusterAssertions.TokenType }, payload, ClusterKey));

        outcome.Call.Should().BeNull();
        outcome.Refusal.Should().Contain("lifetime");
    }

    [Fact]
    public async Task A_hand_made_assertion_with_the_cluster_key_and_the_right_shape_is_accepted()
    {
        // The control for the forged variants above: only the changed part makes them fail.
        var payload = AssertionPayload(Time.GetUtcNow(), TimeSpan.FromSeconds(20));

        (await Holder().ValidateAsync(Sign(new JsonObject { ["alg"] = "HS256", ["typ"] = ClusterAssertions.TokenType }, payload, ClusterKey))).Call.Should().NotBeNull();
    }

    [Fact]
    public async Task An_assertion_is_refused_once_its_lifetime_and_the_clock_skew_have_passed()
    {
        var assertion = new ClusterAssertions(ClusterKey, "replica-b", Time).Issue(Caller(Time.GetUtcNow().AddHours(1)), Method, "s-1");
        Time.Advance(ClusterAssertions.Lifetime + ClusterAssertions.ClockSkew + TimeSpan.FromSeconds(1));

        (await Holder().ValidateAsync(assertion)).Call.Should().BeNull();
    }

    [Fact]
    public async Task An_assertion_never_outlives_the_callers_own_token()
    {
        var assertion = new ClusterAssertions(ClusterKey, "replica-b", Time).Issue(Caller(Time.GetUtcNow().AddSeconds(2)), Method, "s-1");
        var exp = JsonNode.Parse(DecodeSegment(assertion.Split('.')[1]))!["exp"]!.GetValue<long>();

        exp.Should().BeLessThanOrEqualTo(Time.GetUtcNow().AddSeconds(2).ToUnixTimeSeconds());
        Time.Advance(TimeSpan.FromSeconds(2) + ClusterAssertions.ClockSkew);
        (await Holder().ValidateAsync(assertion)).Call.Should().BeNull();
    }

    [Fact]
    public void A_cluster_key_shorter_than_32_bytes_is_refused()
    {
        var make = () => new ClusterAssertions(new byte[31], "replica-a", Time);

        make.Should().Throw<ArgumentException>();
    }

    private ClusterAssertions Holder() => new(ClusterKey, "replica-a", Time);

    private static JsonObject AssertionPayload(DateTimeOffset now, TimeSpan lifetime) => new()
    {
        ["iss"] = "replica-b",
        ["aud"] = ClusterAssertions.Audience,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["nbf"] = now.ToUnixTimeSeconds(),
        ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
        ["caller_iss"] = "https://issuer.test",
        ["caller_sub"] = "observer-1",
        ["caller_claims"] = """{"groups":["observers"]}""",
        ["caller_exp"] = now.AddHours(1).ToUnixTimeSeconds(),
        ["method"] = Method,
        ["session"] = "s-1",
    };

    private static string Sign(JsonObject header, JsonObject payload, byte[] key)
    {
        var input = $"{Segment(header.ToJsonString())}.{Segment(payload.ToJsonString())}";
        return $"{input}.{Base64UrlEncode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(input)))}";
    }
}
