using System.Text;
using System.Text.Json.Nodes;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.TestSupport.Oidc;
using Grpc.Core;

namespace Broker.Integration.Tests.Identity;

/// <summary>Agents authenticate to the running broker with access tokens from a real OIDC provider.</summary>
[Collection(IdentityTestGroup.Name)]
public sealed class OidcAuthenticationTests : IClassFixture<OidcBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly OidcBrokerFixture _broker;

    public OidcAuthenticationTests(OidcBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task An_agent_with_a_provider_token_opens_a_session_as_its_client()
    {
        var client = _broker.Client(await _broker.TokenAsync());

        var result = await ExecResult.RunArgvAsync(client, "printenv", "BROKER_AGENT");

        result.Exit!.Code.Should().Be(0);
        result.StdoutText.Should().Be("ci-agent\n");
        var session = await client.GetSessionAsync(new GetSessionRequest { SessionId = result.SessionId }, deadline: DateTime.UtcNow.Add(Timeout));
        session.Session.Roles.Should().Equal("agent");
    }

    [Fact]
    public async Task After_the_provider_rotates_its_key_new_tokens_keep_working_without_a_restart()
    {
        var before = await _broker.TokenAsync();
        (await ExecResult.RunScriptAsync(_broker.Client(before), "true")).Exit!.Code.Should().Be(0);

        var newKid = await _broker.Provider.RotateKeysAsync().WaitAsync(Timeout);
        // Past the JWKS refresh rate limit (the broker runs on a fake clock).
        _broker.Clock.Advance(TimeSpan.FromSeconds(31));
        var after = await _broker.TokenAsync();

        KeyId(after).Should().Be(newKid).And.NotBe(KeyId(before));
        (await ExecResult.RunScriptAsync(_broker.Client(after), "true")).Exit!.Code.Should().Be(0);
        (await ExecResult.RunScriptAsync(_broker.Client(before), "true")).Exit!.Code.Should().Be(0, "the previous key is still published");
    }

    [Fact]
    public async Task A_token_whose_claims_map_to_no_role_is_permission_denied_naming_only_the_target()
    {
        var client = _broker.Client(await _broker.TokenAsync(OidcClient.ReviewAgent));
        var act = () => ExecResult.RunScriptAsync(client, "true");

        var error = (await act.Should().ThrowAsync<RpcException>()).Which;

        error.StatusCode.Should().Be(StatusCode.PermissionDenied);
        error.Status.Detail.Should().Contain("'local'").And.NotContain("agent");
    }

    [Theory]
    [InlineData("alg-none")]
    [InlineData("expired")]
    [InlineData("wrong-audience")]
    [InlineData("untrusted-issuer")]
    [InlineData("tampered")]
    public async Task A_hostile_token_is_unauthenticated_and_opens_nothing(string kind)
    {
        var good = _broker.Client(await _broker.TokenAsync());
        var sessionsBefore = await CountSessionsAsync(good);
        var token = await HostileTokenAsync(kind);
        var hostile = _broker.Client(token);

        var exec = () => ExecResult.RunScriptAsync(hostile, "touch /tmp/hostile-token-ran");
        var list = () => hostile.ListSessionsAsync(new ListSessionsRequest(), deadline: DateTime.UtcNow.Add(Timeout)).ResponseAsync;

        (await exec.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);
        (await list.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);
        (await CountSessionsAsync(good)).Should().Be(sessionsBefore);
        File.Exists("/tmp/hostile-token-ran").Should().BeFalse();
    }

    private async Task<string> HostileTokenAsync(string kind)
    {
        var now = _broker.Clock.GetUtcNow();
        switch (kind)
        {
            case "alg-none":
                var parts = (await _broker.TokenAsync()).Split('.');
                return $"{Segment("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.";
            case "expired":
                return await _broker.Provider.SignAsync([], Payload(now.AddMinutes(-10), now.AddSeconds(-61))).WaitAsync(Timeout);
            case "wrong-audience":
                return await _broker.TokenAsync(audience: "https://other.test");
            case "untrusted-issuer":
                return await _broker.Untrusted.GetAccessTokenAsync(OidcClient.CiAgent.ClientId, OidcBrokerFixture.Audience).WaitAsync(Timeout);
            default:
                var token = (await _broker.TokenAsync()).Split('.');
                var payload = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(token[1]))))!.AsObject();
                payload["groups"] = new JsonArray("agents", "operators");
                return $"{token[0]}.{Segment(payload.ToJsonString())}.{token[2]}";
        }
    }

    private JsonObject Payload(DateTimeOffset issuedAt, DateTimeOffset expires) => new()
    {
        ["iss"] = _broker.Provider.Issuer,
        ["sub"] = "ci-agent",
        ["aud"] = OidcBrokerFixture.Audience,
        ["groups"] = new JsonArray("agents"),
        ["repository"] = "acme/widgets",
        ["iat"] = issuedAt.ToUnixTimeSeconds(),
        ["exp"] = expires.ToUnixTimeSeconds(),
    };

    private static async Task<int> CountSessionsAsync(SessionService.SessionServiceClient client) =>
        (await client.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true }, deadline: DateTime.UtcNow.Add(Timeout))).Sessions.Count;

    private static string KeyId(string token) =>
        JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(token.Split('.')[0]))))!["kid"]!.GetValue<string>();

    private static string Segment(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Pad(string segment)
    {
        var text = segment.Replace('-', '+').Replace('_', '/');
        return text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
    }
}
