using Broker.TestSupport;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// Three broker replicas as processes over one real PostgreSQL, sharing a cluster key: any replica answers for a session
/// another holds. A session on A is listed alike on A, B and C, watched through B (what it wrote before the watch began
/// and after), and terminated through C; an approval given through B runs the command held on A; a holder killed with
/// SIGKILL is named as unreachable, then its sessions leave every list when it is reaped.
/// </summary>
public sealed class ForwardingTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private readonly ReplicaCluster _cluster = new();
    private readonly SessionScratch _scratch = new("forward-e2e-");

    public Task InitializeAsync() => _cluster.InitializeAsync();

    [Fact]
    public async Task A_session_on_A_is_listed_alike_everywhere_watched_through_B_from_its_start_and_terminated_through_C()
    {
        var (a, b, c) = await StartAsync(TimeSpan.FromMinutes(1));
        var agent = await a.TokenAsync("agent-fwd");
        var observer = await b.TokenAsync("observer-fwd", "observers");
        var op = await c.TokenAsync("op-fwd", "operators");
        var go = _scratch.File("go");
        // 613: a duration no other test sleeps, so that its process says the second line was written.
        var running = a.ClientAsync(agent, null, ["exec", "--target", "local", "--script", $"echo before-attach; while [ ! -e {go} ]; do sleep 0.1; done; echo after-attach; sleep 613"], timeoutSeconds: 240);

        var id = await OnlySessionAsync(c, op);
        await ReplicaCluster.EventuallyAsync(
            async () => (await Task.WhenAll(ReplicaCluster.ListedAsync(a, op), ReplicaCluster.ListedAsync(b, op), ReplicaCluster.ListedAsync(c, op)))
                .All(listed => listed?.SequenceEqual([(id, "replica-a")]) == true),
            "A, B and C list the session, held by replica-a");

        var watch = b.ClientAsync(observer, null, ["attach", id, "--from-start"], timeoutSeconds: 240);
        await a.WaitForLogAsync($"attached to session {id}");
        File.WriteAllText(go, string.Empty);
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(SleepIsRunning()), "the session wrote its second line and sleeps");
        var (code, stdout, stderr) = await c.ClientAsync(op, null, "sessions", "terminate", id, "--reason", "through C");
        code.Should().Be(0, stderr);
        stdout.Should().Contain($"{id} terminated");

        var watched = await watch;
        watched.Code.Should().Be(0, watched.Stderr);
        watched.Stdout.Should().Contain("before-attach", "the watch through B caught up with what A's session wrote before it began")
            .And.Contain("after-attach", "and followed it live");
        watched.Stderr.Should().Contain("through C");
        await running;
        SleepIsRunning().Should().BeFalse("C's terminate ended the process on A");
        await ReplicaCluster.EventuallyAsync(
            async () => (await Task.WhenAll(ReplicaCluster.ListedAsync(a, op), ReplicaCluster.ListedAsync(b, op), ReplicaCluster.ListedAsync(c, op))).All(l => l?.Count == 0),
            "the ended session leaves every replica's list");
        a.Log.Should().Contain("terminated by op-fwd: through C");
    }

    [Fact]
    public async Task A_command_held_on_A_and_approved_through_B_runs_on_A_while_C_lists_it()
    {
        var (a, b, c) = await StartAsync(TimeSpan.FromMinutes(1));
        var agent = await a.TokenAsync("agent-approve");
        var op = await b.TokenAsync("op-approve", "operators");
        var file = _scratch.File("approved-through-b");

        var held = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "touch", file], timeoutSeconds: 240);
        var request = await ReplicaTests.PendingRequestAsync(b, op, "agent-approve");
        await ReplicaCluster.EventuallyAsync(
            async () => await ReplicaCluster.ListedAsync(c, op) is [{ Holder: "replica-a" }], "C lists the waiting command's session, held by A");
        var (code, _, stderr) = await b.ClientAsync(op, null, "approvals", "approve", request);
        code.Should().Be(0, stderr);

        (code, _, stderr) = await held;
        code.Should().Be(0, stderr);
        File.Exists(file).Should().BeTrue("A ran the command approved through B");
    }

    [Fact]
    public async Task After_kill_9_of_A_B_names_A_as_unreachable_then_B_and_C_drop_its_session_once_it_is_reaped()
    {
        var (a, b, c) = await StartAsync(TimeSpan.FromSeconds(6));
        var agent = await a.TokenAsync("agent-killed");
        var op = await b.TokenAsync("op-killed", "operators");
        var running = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "sleep", "120"], timeoutSeconds: 240);
        var id = await OnlySessionAsync(b, op);
        await ReplicaCluster.EventuallyAsync(async () => (await ReplicaCluster.ListedAsync(c, op))?.SequenceEqual([(id, "replica-a")]) == true, "C lists A's session");

        a.KillHard();

        // Until A is reaped, a call about its session fails as a value naming A; afterwards the session is gone.
        var (code, _, stderr) = await b.ClientAsync(op, null, "sessions", "terminate", id);
        code.Should().NotBe(0);
        stderr.Should().Match(s => s.Contains("held by replica 'replica-a'", StringComparison.Ordinal) && s.Contains("unreachable", StringComparison.Ordinal)
            || s.Contains("does not exist", StringComparison.Ordinal));
        stderr.Should().NotContain("   at ", "a failure is a message, not a stack trace");
        await ReplicaCluster.EventuallyAsync(
            async () => (await ReplicaCluster.ListedAsync(b, op))?.Count == 0 && (await ReplicaCluster.ListedAsync(c, op))?.Count == 0,
            "B and C drop A's session once A is reaped");
        (code, _, stderr) = await c.ClientAsync(op, null, "sessions", "terminate", id);
        code.Should().NotBe(0);
        stderr.Should().Contain("does not exist");
        await running;
    }

    public Task DisposeAsync() => _cluster.DisposeAsync();

    public void Dispose() => _scratch.Dispose();

    private static bool SleepIsRunning() =>
        Directory.EnumerateDirectories("/proc").Any(p => int.TryParse(Path.GetFileName(p), out _) && ReadCommandLine(p) == "sleep\0613\0");

    private static string? ReadCommandLine(string process)
    {
        try
        {
            return File.ReadAllText(Path.Combine(process, "cmdline"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task<(BrokerProcess A, BrokerProcess B, BrokerProcess C)> StartAsync(TimeSpan deadAfter)
    {
        var a = _cluster.Replica("replica-a", Heartbeat, deadAfter);
        var b = _cluster.Replica("replica-b", Heartbeat, deadAfter);
        var c = _cluster.Replica("replica-c", Heartbeat, deadAfter);
        await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync(), c.InitializeAsync());
        return (a, b, c);
    }

    /// <summary>The one session the operator sees through <paramref name="replica"/>, once there is one.</summary>
    private static async Task<string> OnlySessionAsync(BrokerProcess replica, string op)
    {
        var id = string.Empty;
        await ReplicaCluster.EventuallyAsync(
            async () =>
            {
                var listed = await ReplicaCluster.ListedAsync(replica, op);
                id = listed?.Count == 1 ? listed[0].Id : string.Empty;
                return id.Length > 0;
            },
            "one session is listed");
        return id;
    }
}
