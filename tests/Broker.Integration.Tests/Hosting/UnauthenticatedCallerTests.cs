using System.Net;
using System.Net.Sockets;
using Broker.Integration.Tests.Fixtures;
using Broker.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Hosting;

/// <summary>
/// A broker that keeps at most 8 unauthenticated connections, each for at most 2 s of <see cref="AdmissionClock"/>:
/// a fake clock the tests advance once what they wait for is in place. On the system clock, a busy machine could let
/// 2 s pass before a real client's first call had been authenticated, and close it.
/// </summary>
public sealed class TightAdmissionBrokerFixture : BrokerFixture
{
    public TightAdmissionBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml")) + """

            server:
              limits:
                max_unauthenticated_connections: 8
                unauthenticated_timeout: 2s
            """;
    }

    /// <summary>The clock of the broker's connection admission (and of nothing else).</summary>
    public FakeTimeProvider AdmissionClock { get; } = new();

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton(sp => new ConnectionAdmission(sp.GetRequiredService<ConnectionBudget>(), AdmissionClock, sp.GetRequiredService<ILogger<ConnectionAdmission>>()));
}

/// <summary>
/// A caller without a valid token costs the broker nothing it keeps: its connections are capped and short-lived; an
/// agent that authenticates is never held back by them. (Its calls are answered from their headers:
/// <see cref="UnauthenticatedCallRefusalTests"/>.)
/// </summary>
public sealed class UnauthenticatedCallerTests : IClassFixture<TightAdmissionBrokerFixture>
{
    private readonly TightAdmissionBrokerFixture _broker;

    public UnauthenticatedCallerTests(TightAdmissionBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task Idle_connections_beyond_the_cap_close_the_oldest_and_the_rest_close_at_the_timeout_while_an_agent_works()
    {
        var admission = _broker.Services.GetRequiredService<ConnectionAdmission>();
        var evictedBefore = admission.Evicted;
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _broker.Address.Port));
                sockets.Add(socket);
            }

            // The broker admits an accepted socket on its own time (on the thread pool, in no set order): once it has
            // admitted them all, the cap is full of idle connections, and the oldest have been closed to make room.
            await WaitUntilAsync(() => admission.Evicted - evictedBefore + admission.Unauthenticated >= sockets.Count);

            // An agent connects into the full cap: it is the newest, authenticates at once and is never closed. (Connecting
            // before the flood was admitted, it could be admitted ahead of 8 of the idle sockets and be the oldest unauthenticated
            // connection when they come, which the cap rightly closes: the test's flake under load.)
            var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("busy-agent")), "echo", "agent-ran");
            result.StdoutText.Should().Be("agent-ran\n");

            // Every idle socket is closed by the broker: the oldest to make room, the rest by the timeout once it has passed.
            var timedOutBefore = admission.TimedOut;
            _broker.AdmissionClock.Advance(TimeSpan.FromSeconds(2));
            foreach (var socket in sockets)
            {
                await WaitForCloseAsync(socket);
            }

            (admission.Evicted - evictedBefore).Should().BeGreaterThanOrEqualTo(12, "20 idle connections against a cap of 8");
            (admission.TimedOut - timedOutBefore).Should().BeGreaterThanOrEqualTo(1, "the idle connections the cap left were closed by the timeout");
            admission.Unauthenticated.Should().Be(0);

            result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("busy-agent")), "echo", "still-works");
            result.StdoutText.Should().Be("still-works\n");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_session_outlives_the_unauthenticated_timeout_on_its_authenticated_connection()
    {
        var admission = _broker.Services.GetRequiredService<ConnectionAdmission>();
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("long-lived")));
        await terminal.SendAsync("echo first-$((2*3))\n");
        await terminal.WaitForOutputAsync("first-6");

        // A connection opened after the session's, closed by the timeout: the session's has been open longer.
        var timedOutBefore = admission.TimedOut;
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _broker.Address.Port));
        await WaitUntilAsync(() => admission.Unauthenticated >= 1);
        _broker.AdmissionClock.Advance(TimeSpan.FromSeconds(2));
        await WaitForCloseAsync(probe);
        (admission.TimedOut - timedOutBefore).Should().BeGreaterThanOrEqualTo(1);

        await terminal.SendAsync("echo second-$((3*4))\n");
        await terminal.WaitForOutputAsync("second-12");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>Waits until the broker closes the socket (end of stream or reset); the test never writes to it.</summary>
    private static async Task WaitForCloseAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
                // A server preface or GOAWAY may come first; the close follows.
            }
        }
        catch (SocketException)
        {
            // Reset by the broker: closed too.
        }
    }
}
