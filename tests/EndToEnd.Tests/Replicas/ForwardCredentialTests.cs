using System.Security.Cryptography;
using Broker.Identity.Cluster;
using Broker.Identity.Tokens;
using Broker.Policy;
using Broker.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// What a replica accepts as a forwarded call, sent straight to a replica process holding a running session: nothing but
/// an assertion signed with the cluster key, for the method and the session it names, and then only what the named
/// caller may do there. Each refusal is checked by its effect: the session still runs. The last call, a valid assertion
/// for an operator, ends it: the refusals were the credential's, not the session's.
/// </summary>
public sealed class ForwardCredentialTests : IAsyncLifetime
{
    private const string Terminate = "/broker.v1.SessionService/TerminateSession";
    private readonly ReplicaCluster _cluster = new();

    public Task InitializeAsync() => _cluster.InitializeAsync();

    [Fact]
    public async Task The_holder_refuses_forwards_without_a_valid_cluster_assertion_and_the_session_keeps_running()
    {
        var a = _cluster.Replica("replica-a", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        await a.InitializeAsync();
        var agent = await a.TokenAsync("agent-held");
        var op = await a.TokenAsync("op-real", "operators");
        var running = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "sleep", "127"], timeoutSeconds: 240);
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Count == 1, "A holds the session");
        var id = (await _cluster.HeldSessionsAsync("replica-a"))[0];
        using var channel = GrpcChannel.ForAddress(a.Url);
        var sessions = new SessionService.SessionServiceClient(channel);
        var cluster = new ClusterAssertions(_cluster.ClusterKey, "replica-b", TimeProvider.System);
        var operatorCaller = Caller("op-forged", "operators");
        var terminate = new TerminateSessionRequest { SessionId = id, Reason = "forged" };

        var refusals = new (string What, Metadata Headers, StatusCode Expected)[]
        {
            ("no credential at all", [], StatusCode.Unauthenticated),
            ("an agent's token as the forward assertion", Forward(agent), StatusCode.Unauthenticated),
            ("an operator's token as the forward assertion", Forward(op), StatusCode.Unauthenticated),
            ("an assertion signed with another key", Forward(new ClusterAssertions(RandomNumberGenerator.GetBytes(48), "replica-b", TimeProvider.System).Issue(operatorCaller, Terminate, id)), StatusCode.Unauthenticated),
            ("a valid assertion as a bearer token", new Metadata { { "authorization", "Bearer " + cluster.Issue(operatorCaller, Terminate, id) } }, StatusCode.Unauthenticated),
            ("a valid assertion beside a bearer token", new Metadata { { "authorization", "Bearer " + op }, { "x-broker-forward", cluster.Issue(operatorCaller, Terminate, id) } }, StatusCode.Unauthenticated),
            ("an assertion for another method", Forward(cluster.Issue(operatorCaller, "/broker.v1.SessionService/GetSession", id)), StatusCode.PermissionDenied),
            ("an assertion for another session", Forward(cluster.Issue(operatorCaller, Terminate, "another-session")), StatusCode.PermissionDenied),
            ("a valid assertion for a caller who may not see the session", Forward(cluster.Issue(Caller("agent-other"), Terminate, id)), StatusCode.NotFound),
        };

        foreach (var (what, headers, expected) in refusals)
        {
            var call = async () => await sessions.TerminateSessionAsync(terminate, headers, deadline: DateTime.UtcNow.AddMinutes(1));
            (await call.Should().ThrowAsync<RpcException>(what)).Which.StatusCode.Should().Be(expected, what);
        }

        (await _cluster.HeldSessionsAsync("replica-a")).Should().Equal([id], "no refused forward ended the session");
        running.IsCompleted.Should().BeFalse("the session's command still runs");

        var ended = await sessions.TerminateSessionAsync(terminate, Forward(cluster.Issue(operatorCaller, Terminate, id)), deadline: DateTime.UtcNow.AddMinutes(1));
        ended.Session.SessionId.Should().Be(id);
        await running;
        a.Log.Should().Contain("terminated by op-forged: forged");
    }

    public Task DisposeAsync() => _cluster.DisposeAsync();

    private static Metadata Forward(string assertion) => new() { { "x-broker-forward", assertion } };

    private static AuthenticatedCaller Caller(string subject, params string[] groups) => new(
        new CallerIdentity("broker-dev", subject, new Dictionary<string, IReadOnlyList<string>> { ["groups"] = groups }),
        DateTimeOffset.UtcNow.AddHours(1));
}
