using Broker.Integration.Tests.Hosting;
using Broker.TestSupport.Availability;
using EndToEnd.Tests.Terminal;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Availability;

/// <summary>
/// The attacks of issue 12 on the broker's availability, at full scale, against a broker process that serves a live
/// session: 20,000 idle TCP connections with the broker's descriptor limit at 20,000, and 500 connections carrying 4
/// unauthenticated calls each that announce a 4 MiB message and stall. The session keeps working, the broker never
/// ends, and its memory, sampled while the attack runs, stays under a generous bound (the measured peak is printed).
/// Nothing here is timed.
/// </summary>
[Collection(AttacksRunAlone.Name)]
public sealed class AvailabilityTests
{
    private const int IdleConnections = 20_000;
    private const int StalledConnections = 500;
    private const int CallsPerConnection = 4;

    // What the issue saw: the broker grew by 1.7 GB under the stalled calls and aborted under the idle flood. A
    // broker that holds nothing per unauthenticated caller stays far below this.
    private const long MemoryBound = 1024L * 1024 * 1024;

    private readonly ITestOutputHelper _output;

    public AvailabilityTests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public async Task Twenty_thousand_idle_connections_leave_a_live_session_working_and_the_broker_alive_and_bounded()
    {
        // The broker, started through prlimit, gets exactly as many descriptors as the flood opens connections, as on
        // the host where the abort was seen; python3 processes hold the flood's sockets.
        Skip.If(IdleConnectionFlood.Python is null, "python3 (which holds the flood's sockets) is not on the PATH");
        await WithBrokerAsync(new BrokerProcess { Launcher = ["prlimit", $"--nofile={IdleConnections}", "--"] }, IdleFloodAsync);
    }

    private async Task IdleFloodAsync(BrokerProcess broker)
    {
        await using var terminal = await OpenSessionAsync(broker);

        await using var flood = new IdleConnectionFlood();
        long peak;
        await using (var memory = new MemorySampler(broker.ProcessId))
        {
            var opening = flood.OpenAsync(new Uri(broker.Url).Port, IdleConnections);
            await WaitUntilAsync(() => flood.Opened + flood.Refused >= IdleConnections / 2 || opening.IsCompleted, "half the flood to connect");

            // In the middle of the flood: a command through the session that was open before it, and a new client.
            await RunInSessionAsync(terminal, "mid");
            await opening.WaitAsync(TimeSpan.FromMinutes(5));
            await RunInSessionAsync(terminal, "after");
            var (code, stdout, stderr) = await broker.ClientAsync(await broker.TokenAsync("flood-exec"), null, "exec", "--target", "local", "--", "echo", "exec-during-flood");
            code.Should().Be(0, stderr);
            stdout.Should().Be("exec-during-flood\n");
            peak = memory.Highest;
            Report("20,000 idle connections", memory.Before, peak, flood.Opened, flood.Refused);
        }

        broker.HasExited.Should().BeFalse(broker.Log);
        broker.Log.Should().NotContain("Unhandled exception").And.NotContain("Too many open files");
        peak.Should().BeLessThan(MemoryBound, "the broker's resident memory stays bounded under the flood");
    }

    [Fact]
    public async Task Five_hundred_connections_of_four_stalled_unauthenticated_calls_leave_a_live_session_working_and_the_broker_bounded()
    {
        await WithBrokerAsync(new BrokerProcess(), StalledCallsAsync);
    }

    private async Task StalledCallsAsync(BrokerProcess broker)
    {
        await using var terminal = await OpenSessionAsync(broker);

        var attackers = Enumerable.Range(0, StalledConnections).Select(_ => new StalledGrpcRequest(new Uri(broker.Url))).ToList();
        try
        {
            long peak;
            List<int> statuses;
            await using (var memory = new MemorySampler(broker.ProcessId))
            {
                // Every call announces 4 MiB, sends 16 KiB of it and stalls; each connection carries four at once.
                var calls = attackers.SelectMany(a => Enumerable.Range(0, CallsPerConnection).Select(async _ =>
                {
                    using var response = await a.SendAsync("/broker.v1.SessionService/Exec", announced: 4 * 1024 * 1024);
                    return (await StalledGrpcRequest.StatusAsync(response)).Status;
                })).ToList();
                await RunInSessionAsync(terminal, "mid");
                statuses = [.. await Task.WhenAll(calls)];
                await RunInSessionAsync(terminal, "after");
                peak = memory.Highest;
                Report("500 connections x 4 stalled 4 MiB calls", memory.Before, peak, StalledConnections, 0);
            }

            statuses.Should().AllSatisfy(s => s.Should().Be(16, "UNAUTHENTICATED, answered from the headers"));
            broker.HasExited.Should().BeFalse(broker.Log);
            peak.Should().BeLessThan(MemoryBound, "an unauthenticated call's body is never buffered");
        }
        finally
        {
            foreach (var attacker in attackers)
            {
                attacker.Dispose();
            }
        }
    }

    private static async Task WithBrokerAsync(BrokerProcess broker, Func<BrokerProcess, Task> test)
    {
        try
        {
            await broker.InitializeAsync();
            await test(broker);
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    private static async Task<ClientTerminal> OpenSessionAsync(BrokerProcess broker)
    {
        var terminal = await ClientTerminal.StartAsync(broker, await broker.TokenAsync("live-" + Guid.NewGuid().ToString("n")[..8]));
        await terminal.OpenShellAsync();
        await RunInSessionAsync(terminal, "before");
        return terminal;
    }

    /// <summary>Runs an arithmetic echo in the live session and waits for its result (which only bash could print).</summary>
    private static async Task RunInSessionAsync(ClientTerminal terminal, string label)
    {
        await terminal.Screen.EnterAsync($"echo {label}-$((6*7))");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, $"{label}-42") > 0, $"the live session's '{label}' output", TimeSpan.FromMinutes(3));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            while (!condition())
            {
                await Task.Delay(100, limit.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"waited too long for {what}");
        }
    }

    private void Report(string attack, long before, long peak, int opened, int refused) =>
        _output.WriteLine($"{attack}: broker RSS {ProcessMemory.Describe(before)} before, peak {ProcessMemory.Describe(peak)} (bound {ProcessMemory.Describe(MemoryBound)}); {opened} connections opened, {refused} refused");
}

/// <summary>The availability attacks run one at a time: each measures a broker's memory and fills the host's loopback.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AttacksRunAlone
{
    public const string Name = "availability";
}
