using Broker.TestSupport;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// A replica's instance lives in its data directory (<c>replica.instance</c>, locked while it runs): killed with
/// <c>kill -9</c> and restarted on the same data directory it takes its id back at once, however long
/// <c>dead_after</c> is, and clears its previous run's rows; a second process on a running replica's data directory is
/// refused (exit 7) whatever id it is given, and the running replica is left alone.
/// </summary>
public sealed class ReplicaRestartTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongWindow = TimeSpan.FromMinutes(10);
    private readonly ReplicaCluster _cluster = new();
    private readonly SessionScratch _scratch = new("restart-e2e-");

    public Task InitializeAsync() => _cluster.InitializeAsync();

    [Fact]
    public async Task A_killed_and_restarted_on_its_own_data_directory_takes_its_id_back_at_once()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, LongWindow);
        await a.InitializeAsync();
        var agent = await a.TokenAsync("agent-restart");
        var op = await a.TokenAsync("op-restart", "operators");
        var held = a.ClientAsync(agent, null, ["exec", "--target", "local", "--", "touch", _scratch.File("never")], timeoutSeconds: 240);
        await ReplicaTests.PendingRequestAsync(a, op, "agent-restart");
        await ReplicaCluster.EventuallyAsync(async () => (await _cluster.HeldSessionsAsync("replica-a")).Count == 1, "A's session is in the registry");
        var instance = await _cluster.InstanceAsync("replica-a");

        a.KillHard();
        await held;
        var restarted = _cluster.Replica("replica-a", Heartbeat, LongWindow, a.DataDirectory);
        await restarted.InitializeAsync();

        (await _cluster.InstanceAsync("replica-a")).Should().Be(instance, "the restart is the same instance");
        (await _cluster.HeldSessionsAsync("replica-a")).Should().BeEmpty("the restart removed its previous run's rows");
        var (code, _, stderr) = await restarted.ClientAsync(agent, null, "exec", "--target", "local", "--", "true");
        code.Should().Be(0, stderr);
        File.Exists(_scratch.File("never")).Should().BeFalse();
    }

    [Fact]
    public async Task A_second_process_on_a_running_replicas_data_directory_is_refused()
    {
        var a = _cluster.Replica("replica-a", Heartbeat, LongWindow);
        await a.InitializeAsync();
        var instance = await _cluster.InstanceAsync("replica-a");

        var second = _cluster.Replica("replica-z", Heartbeat, LongWindow, a.DataDirectory);
        var start = () => second.InitializeAsync();

        await start.Should().ThrowAsync<InvalidOperationException>();
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(second.HasExited), "the second process exits");
        second.ExitCode.Should().Be(7);
        second.Log.Should().Contain($"broker: another broker is running on the data directory {a.DataDirectory}");
        (await _cluster.IsRegisteredAsync("replica-z")).Should().BeFalse("the second process registered nothing");
        (await _cluster.InstanceAsync("replica-a")).Should().Be(instance);
        var agent = await a.TokenAsync("agent-still-served");
        var (code, _, stderr) = await a.ClientAsync(agent, null, "exec", "--target", "local", "--", "true");
        code.Should().Be(0, stderr);
    }

    public Task DisposeAsync() => _cluster.DisposeAsync();

    public void Dispose() => _scratch.Dispose();
}
