using System.Text.RegularExpressions;
using Broker.TestSupport;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// Two broker replicas as processes over one real PostgreSQL: the schema migrated once when both start at once, an
/// approval decided on one resuming the command held on the other, a replica killed with SIGKILL reaped by the other
/// within its dead-after window (its sessions gone from the registry, their pending approvals withdrawn), and a
/// replica restarted with the same id repairing what it left without touching what the other holds.
/// </summary>
public sealed partial class ReplicaTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private readonly ReplicaCluster _cluster = new();
    private readonly SessionScratch _scratch = new("replicas-e2e-");

    public Task InitializeAsync() => _cluster.InitializeAsync();

    [Fact]
    public async Task Two_replicas_starting_at_once_on_an_empty_database_migrate_it_once_and_both_register()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1));
        var b = _cluster.Replica("replica-b", Heartbeat, TimeSpan.FromMinutes(1));

        await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync());

        await using var command = _cluster.Database.CreateCommand("SELECT version, count(*) FROM broker_schema_migrations GROUP BY version ORDER BY version");
        var versions = new List<(int Version, long Count)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                versions.Add((reader.GetInt32(0), reader.GetInt64(1)));
            }
        }

        versions.Should().NotBeEmpty().And.OnlyContain(v => v.Count == 1, "each step is applied once");
        versions.Select(v => v.Version).Should().Equal(Enumerable.Range(1, versions.Count));
        (a.Log + b.Log).Should().Contain("(applied 1", "one of them applied the steps").And.Contain($"schema version {versions.Count};");
        (await _cluster.IsRegisteredAsync("replica-a")).Should().BeTrue();
        (await _cluster.IsRegisteredAsync("replica-b")).Should().BeTrue();
    }

    [Fact]
    public async Task A_database_at_a_newer_schema_is_refused_with_exit_5_and_left_unchanged()
    {
        await using (var newer = _cluster.Database.CreateCommand(
            "CREATE TABLE broker_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); "
            + "INSERT INTO broker_schema_migrations (version, name) SELECT v, 'from a newer broker' FROM generate_series(1, 999) v"))
        {
            await newer.ExecuteNonQueryAsync();
        }

        var replica = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1));
        var start = () => replica.InitializeAsync();

        await start.Should().ThrowAsync<InvalidOperationException>();
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(replica.HasExited), "the refused broker exits");
        replica.ExitCode.Should().Be(5);
        replica.Log.Should().Contain("version 999, newer than this broker knows");
        await using var tables = _cluster.Database.CreateCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
        (await tables.ExecuteScalarAsync()).Should().Be(1L, "nothing but the migrations table: no step was applied and the replica registered nowhere");
    }

    [Fact]
    public async Task A_command_held_on_A_and_approved_through_B_runs_on_A()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromMinutes(1));
        var b = _cluster.Replica("replica-b", Heartbeat, TimeSpan.FromMinutes(1));
        await a.InitializeAsync();
        await b.InitializeAsync();
        var agent = await a.TokenAsync("agent-replicas");
        var op = await b.TokenAsync("op-replicas", "operators");
        var file = _scratch.File("approved-on-b");

        var held = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "touch", file], timeoutSeconds: 240);
        var id = await PendingRequestAsync(b, op, "agent-replicas");
        // The registry learns of a session (or a command waiting for a decision) at its replica's next heartbeat, not when it
        // starts: the request can be seen through B before that beat, on a busy machine by a whole beat.
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Count == 1, "A's next heartbeat lists the waiting command");
        (await _cluster.HeldSessionsAsync("replica-a")).Should().ContainSingle("the waiting command's session runs on A");
        var (code, _, stderr) = await b.ClientAsync(op, null, "approvals", "approve", id, "--reason", "fine");
        code.Should().Be(0, stderr);

        (code, _, stderr) = await held;
        code.Should().Be(0, stderr);
        File.Exists(file).Should().BeTrue("A ran the command B approved");
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Count == 0, "A's ended session leaves the registry");
    }

    [Fact]
    public async Task After_kill_9_of_A_B_reaps_its_sessions_within_the_window_and_withdraws_their_pending_approvals()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, TimeSpan.FromSeconds(4));
        var b = _cluster.Replica("replica-b", Heartbeat, TimeSpan.FromSeconds(4));
        await a.InitializeAsync();
        await b.InitializeAsync();
        var agent = await a.TokenAsync("agent-reaped");
        var op = await b.TokenAsync("op-reaped", "operators");
        var running = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "sleep", "120"], timeoutSeconds: 240);
        var held = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "touch", _scratch.File("never")], timeoutSeconds: 240);
        var id = await PendingRequestAsync(b, op, "agent-reaped");
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Count == 2, "both of A's sessions are in the registry");

        a.KillHard();

        await ReplicaCluster.EventuallyAsync(async () => !await _cluster.IsRegisteredAsync("replica-a"), "B reaps A");
        (await _cluster.HeldSessionsAsync("replica-a")).Should().BeEmpty("A's sessions ended with it");
        await ReplicaCluster.EventuallyAsync(
            async () => (await b.ClientAsync(op, null, "approvals", "show", id)).Stdout.Contains("withdrawn", StringComparison.Ordinal),
            "B withdraws the request of A's session");
        var (_, shown, _) = await b.ClientAsync(op, null, "approvals", "show", id);
        shown.Should().Contain("replica-a");
        b.Log.Should().Contain("ended with replica 'replica-a'");
        await Task.WhenAll(running, held);
        File.Exists(_scratch.File("never")).Should().BeFalse();
    }

    [Fact]
    public async Task A_restarted_with_the_same_id_repairs_its_rows_and_spares_what_B_holds()
    {
        // A long window for B: nobody reaps A, so only A's own restart can repair what it left. A's own window is short:
        // the restart claims A's id once A's last heartbeat is that old (a process with A's id is refused before).
        var window = TimeSpan.FromMinutes(10);
        var aWindow = TimeSpan.FromSeconds(8);
        var a = _cluster.Replica("replica-a", Heartbeat, aWindow);
        var b = _cluster.Replica("replica-b", Heartbeat, window);
        await a.InitializeAsync();
        await b.InitializeAsync();
        var agentA = await a.TokenAsync("agent-on-a");
        var agentB = await b.TokenAsync("agent-on-b");
        var op = await b.TokenAsync("op-restart", "operators");
        var heldOnA = a.ClientAsync(agentA, null, ["exec", "--target", "local", "--", "touch", _scratch.File("left-on-a")], timeoutSeconds: 240);
        var heldOnB = b.ClientAsync(agentB, null, ["exec", "--target", "local", "--", "touch", _scratch.File("held-on-b")], timeoutSeconds: 240);
        var onA = await PendingRequestAsync(b, op, "agent-on-a");
        var onB = await PendingRequestAsync(b, op, "agent-on-b");
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Count == 1, "A's session is in the registry");
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-b")).Count == 1, "B's session is in the registry (at B's next heartbeat)");
        var bSessions = await _cluster.HeldSessionsAsync("replica-b");
        bSessions.Should().ContainSingle();

        a.KillHard();
        await heldOnA;
        await ReplicaCluster.EventuallyAsync(async () => await _cluster.HeartbeatAgeAsync("replica-a") > aWindow, "A's last heartbeat is older than its window");
        var restarted = _cluster.Replica("replica-a", Heartbeat, aWindow, a.DataDirectory + "-restarted");
        await restarted.InitializeAsync();

        (await _cluster.HeldSessionsAsync("replica-a")).Should().BeEmpty("the restarted A holds nothing and removed its previous run's rows");
        var (_, shownA, _) = await b.ClientAsync(op, null, "approvals", "show", onA);
        shownA.Should().Contain("withdrawn");
        var (_, shownB, _) = await b.ClientAsync(op, null, "approvals", "show", onB);
        shownB.Should().Contain("pending", "B's session is alive: A's recovery leaves it alone");
        (await _cluster.HeldSessionsAsync("replica-b")).Should().Equal(bSessions);

        var (code, _, stderr) = await restarted.ClientAsync(op, null, "approvals", "approve", onB);
        code.Should().Be(0, stderr);
        (code, _, stderr) = await heldOnB;
        code.Should().Be(0, stderr);
        File.Exists(_scratch.File("held-on-b")).Should().BeTrue("B ran the command approved through the restarted A");
    }

    public Task DisposeAsync() => _cluster.DisposeAsync();

    public void Dispose() => _scratch.Dispose();

    /// <summary>The id of <paramref name="requester"/>'s pending request, as the approver sees it on <paramref name="replica"/>.</summary>
    internal static async Task<string> PendingRequestAsync(BrokerProcess replica, string approverToken, string requester)
    {
        var id = string.Empty;
        await ReplicaCluster.EventuallyAsync(
            async () =>
            {
                var (code, stdout, _) = await replica.ClientAsync(approverToken, null, "approvals", "list", "--state", "pending", "--requester", requester);
                id = code == 0 ? ApprovalId().Match(stdout).Value : string.Empty;
                return id.Length > 0;
            },
            $"a pending request of {requester}");
        return id;
    }

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();
}
