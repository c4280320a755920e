using AgentClient.Mux;

namespace AgentClient.Tests.Mux;

public sealed class MuxMasterTests
{
    private static MuxRequest Request(string token, string key = MasterHarness.Key) => new(key, ["exec", "--target", "local", "--", "true"], [new("BROKER_TOKEN", token)]);

    [Fact]
    public async Task A_command_runs_with_the_clients_descriptors_and_its_exit_code_comes_back()
    {
        await using var master = new MasterHarness(MasterHarness.Uid, async (request, scope, _) =>
        {
            scope.Enter();
            await Terminal.StandardStreams.Out.WriteAsync($"ran {request.Argv[^1]}\n");
            return 7;
        });

        var (code, output) = await master.RunAsync(Request("t"));

        code.Should().Be(7);
        output.Should().Be("ran true\n");
    }

    [Fact]
    public async Task A_peer_of_another_uid_is_refused_before_anything_runs()
    {
        var ran = 0;
        await using var master = new MasterHarness(MasterHarness.Uid + 1, (_, _, _) =>
        {
            Interlocked.Increment(ref ran);
            return Task.FromResult(0);
        });

        var (code, output) = await master.RunAsync(Request("t"));

        code.Should().BeNull("the thin client finds its request not taken and takes the direct path");
        output.Should().BeEmpty();
        ran.Should().Be(0);
        master.Log.ToString().Should().Contain($"refused a connection from uid {MasterHarness.Uid}").And.NotContain("t0");
    }

    [Fact]
    public async Task A_request_for_another_broker_is_declined()
    {
        var ran = 0;
        await using var master = new MasterHarness(MasterHarness.Uid, (_, _, _) =>
        {
            Interlocked.Increment(ref ran);
            return Task.FromResult(0);
        });

        var (code, _) = await master.RunAsync(Request("t", "http://127.0.0.1:2\n\n\n"));

        code.Should().BeNull();
        ran.Should().Be(0);
    }

    [Fact]
    public async Task Each_call_sees_its_own_clients_token_and_no_other()
    {
        var bothInFlight = new Barrier(2);
        await using var master = new MasterHarness(MasterHarness.Uid, async (request, scope, _) =>
        {
            scope.Enter();
            await Task.Run(() => bothInFlight.SignalAndWait(TimeSpan.FromSeconds(30)).Should().BeTrue());
            await Terminal.StandardStreams.Out.WriteAsync(RequestScope.Variable("BROKER_TOKEN") ?? "none");
            return 0;
        });

        var first = master.RunAsync(Request("token-of-first"));
        var second = master.RunAsync(Request("token-of-second"));
        var results = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(60));

        results[0].Output.Should().Be("token-of-first");
        results[1].Output.Should().Be("token-of-second");
        RequestScope.Current.Should().BeNull();
        RequestScope.Variable("BROKER_TOKEN").Should().Be(Environment.GetEnvironmentVariable("BROKER_TOKEN"), "outside a call the process's own environment is read");
    }

    [Fact]
    public async Task The_master_stops_after_the_persist_time_with_nothing_running_and_removes_its_socket()
    {
        await using var master = new MasterHarness(MasterHarness.Uid, (_, _, _) => Task.FromResult(3));
        (await master.RunAsync(Request("t"))).Code.Should().Be(3);

        // The call's end re-arms the idle timer just after its client has the exit code: advance until the master has stopped.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!master.Running.IsCompleted)
        {
            master.Time.Advance(MasterHarness.Persist);
            await Task.WhenAny(master.Running, Task.Delay(20, limit.Token));
        }

        await master.Running;
        File.Exists(master.SocketPath).Should().BeFalse();
    }
}
