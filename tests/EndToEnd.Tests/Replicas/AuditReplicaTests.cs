using System.Text.Json;
using Broker.TestSupport;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// Audit events with broker processes over one real PostgreSQL: events of sessions run on A and on B are listed through
/// C (<c>agent-client audit list</c>), every replica's, in order; and a second process started with A's id while A
/// heartbeats exits 7 with one line naming the id and when A would be considered dead, while A keeps serving its session.
/// </summary>
public sealed class AuditReplicaTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private readonly ReplicaCluster _cluster = new();
    private readonly SessionScratch _scratch = new("audit-e2e-");

    public Task InitializeAsync() => _cluster.InitializeAsync();

    [Fact]
    public async Task Events_of_sessions_on_A_and_B_are_listed_through_C_in_order()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1));
        var b = _cluster.Replica("replica-b", Heartbeat, TimeSpan.FromMinutes(1));
        var c = _cluster.Replica("replica-c", Heartbeat, TimeSpan.FromMinutes(1));
        await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync(), c.InitializeAsync());
        var agent = await a.TokenAsync("agent-audited");

        var (code, _, stderr) = await a.ClientAsync(agent, null, "exec", "--target", "local", "--", "echo", "on-a");
        code.Should().Be(0, stderr);
        (code, _, _) = await b.ClientAsync(agent, null, "exec", "--target", "local", "--", "bash", "-c", "true");
        code.Should().Be(126, "the dev policy denies a shell");

        var auditor = await c.TokenAsync("auditor", "observers");
        List<JsonElement> events = [];
        await ReplicaCluster.EventuallyAsync(
            async () =>
            {
                var (listed, stdout, _) = await c.ClientAsync(auditor, null, "audit", "list", "--subject", "agent-audited", "--json");
                events = listed != 0 ? [] : [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
                return events.Count(e => e.GetProperty("kind").GetString() == "session.ended") == 2;
            },
            "both sessions' events listed through C");

        events.Select(e => (e.GetProperty("replica").GetString(), e.GetProperty("kind").GetString(), e.GetProperty("decision").GetString())).Should().Equal(
            ("replica-a", "session.opened", ""),
            ("replica-a", "command.decided", "allow"),
            ("replica-a", "session.ended", ""),
            ("replica-b", "session.opened", ""),
            ("replica-b", "command.decided", "deny"),
            ("replica-b", "session.ended", ""));
        events.Select(e => e.GetProperty("at").GetDateTimeOffset()).Should().BeInAscendingOrder();
        events[1].GetProperty("fields").GetProperty("text").GetString().Should().Be("echo on-a");

        var (table, shown, _) = await c.ClientAsync(auditor, null, "audit", "list", "--subject", "agent-audited", "--decision", "deny");
        table.Should().Be(0);
        shown.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2, "a header and the denied command")
            .And.Subject.Last().Should().Contain("replica-b").And.Contain("command.decided").And.Contain("rule=shells-and-interpreters");
    }

    [Fact]
    public async Task A_second_process_with_As_id_is_refused_while_A_keeps_serving_its_session()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1));
        await a.InitializeAsync();
        var agent = await a.TokenAsync("agent-on-a");
        var op = await a.TokenAsync("op-duplicate", "operators");
        var held = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "touch", _scratch.File("still-served")], timeoutSeconds: 240);
        var request = await ReplicaTests.PendingRequestAsync(a, op, "agent-on-a");
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Count == 1, "A's session is in the registry");
        var before = await _cluster.InstanceAsync("replica-a");

        var duplicate = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1));
        var start = () => duplicate.InitializeAsync();

        await start.Should().ThrowAsync<InvalidOperationException>();
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(duplicate.HasExited), "the duplicate exits");
        duplicate.ExitCode.Should().Be(7);
        duplicate.Log.Should().MatchRegex("broker: replica id 'replica-a' is held by another running broker .*it would be considered dead at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC");
        (await _cluster.InstanceAsync("replica-a")).Should().Be(before, "the running replica's row is untouched");
        (await _cluster.HeldSessionsAsync("replica-a")).Should().HaveCount(1, "and so are its sessions");

        var (code, _, stderr) = await a.ClientAsync(op, null, "approvals", "approve", request);
        code.Should().Be(0, stderr);
        (code, _, stderr) = await held;
        code.Should().Be(0, stderr);
        File.Exists(_scratch.File("still-served")).Should().BeTrue("A still served its session");
    }

    public Task DisposeAsync() => _cluster.DisposeAsync();

    public void Dispose() => _scratch.Dispose();
}
