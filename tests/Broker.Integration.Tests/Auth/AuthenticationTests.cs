using System.Security.Cryptography;
using Broker.Identity.Cluster;
using Broker.Identity.Dev;
using Broker.Identity.Tokens;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Auth;

public sealed class AuthenticationTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public AuthenticationTests(BrokerFixture broker) => _broker = broker;

    public static TheoryData<string, string?> BadTokens()
    {
        var data = new TheoryData<string, string?>
        {
            { "no token", null },
            { "garbage", "not-a-jwt" },
            { "empty", string.Empty },
            { "three empty parts", ".." },
        };
        var elsewhere = Path.Combine(Path.GetTempPath(), "broker-other-" + Guid.NewGuid().ToString("n"));
        data.Add("signed by another key", DevIssuer.LoadOrCreate(elsewhere).Mint("agent-1", [], TimeSpan.FromHours(1)));
        Directory.Delete(elsewhere, recursive: true);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_unauthenticated_and_nothing_opens(string why, string? token)
    {
        _ = why;
        var before = (await _broker.Client(_broker.Token("operator", "operators")).ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true })).Sessions.Count;
        var list = async () => await _broker.Client(token).ListSessionsAsync(new ListSessionsRequest());
        (await list.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);

        // A streaming call may see the refusal on its write or its read; either way it is refused.
        var exec = () => ExecResult.RunScriptAsync(_broker.Client(token), "echo should-not-run");
        (await exec.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().BeOneOf(StatusCode.Unauthenticated, StatusCode.Cancelled);
        var after = (await _broker.Client(_broker.Token("operator", "operators")).ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true })).Sessions.Count;
        after.Should().Be(before);
    }

    [Theory]
    [InlineData("an assertion under some cluster key")]
    [InlineData("an operator's own token")]
    public async Task A_forwarded_call_is_unauthenticated_on_a_broker_without_a_cluster_key(string what)
    {
        var operatorToken = _broker.Token("operator", "operators");
        var forward = what == "an operator's own token" ? operatorToken : new ClusterAssertions(RandomNumberGenerator.GetBytes(48), "replica-x", TimeProvider.System).Issue(
            new AuthenticatedCaller(new global::Broker.Policy.CallerIdentity("broker-dev", "operator", new Dictionary<string, IReadOnlyList<string>> { ["groups"] = ["operators"] }), DateTimeOffset.UtcNow.AddHours(1)),
            "/broker.v1.SessionService/ListSessions",
            "any");
        var sessions = new SessionService.SessionServiceClient(_broker.Channel(null));

        var list = async () => await sessions.ListSessionsAsync(new ListSessionsRequest(), new Metadata { { "x-broker-forward", forward } });

        var refused = (await list.Should().ThrowAsync<RpcException>()).Which;
        refused.StatusCode.Should().Be(StatusCode.Unauthenticated);
        refused.Status.Detail.Should().Contain("no cluster key");
    }

    [Fact]
    public async Task An_expired_token_is_unauthenticated()
    {
        var past = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        var expired = DevIssuer.LoadOrCreate(_broker.DataDirectory, past).Mint("agent-1", [], TimeSpan.FromHours(1));
        var act = async () => await _broker.Client(expired).ListSessionsAsync(new ListSessionsRequest());
        var error = (await act.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.Unauthenticated);
        error.Status.Detail.Should().Contain("expired");
    }

    [Fact]
    public async Task Health_checks_need_no_token_but_reflection_does()
    {
        var health = new Health.HealthClient(_broker.Channel(null));
        var status = await health.CheckAsync(new HealthCheckRequest { Service = "broker.v1.SessionService" });
        status.Status.Should().Be(HealthCheckResponse.Types.ServingStatus.Serving);

        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_broker.Channel(null));
        using var call = reflection.ServerReflectionInfo();
        var act = async () =>
        {
            try
            {
                await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "*" });
            }
            catch (RpcException)
            {
                // Refused at once: the write can fail with CANCELLED; the call's real status arrives on the response.
            }

            await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        };
        (await act.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);

        using var authorized = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_broker.Channel(_broker.Token())).ServerReflectionInfo();
        await authorized.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "*" });
        (await authorized.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue();
        authorized.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).Should().Contain("broker.v1.SessionService");
    }
}
