using System.Net;
using System.Net.Sockets;
using Broker.Integration.Tests.Fixtures;
using Broker.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Hosting;

/// <summary>A broker that keeps at most 8 unauthenticated connections, each for at most 2 s.</summary>
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
}

/// <summary>
/// A caller without a valid token costs the broker nothing it keeps: its calls are answered from their
/// headers, before any body is read; its connections are capped and short-lived; an agent that
/// authenticates is never held back by them.
/// </summary>
public sealed class UnauthenticatedCallerTests : IClassFixture<TightAdmissionBrokerFixture>
{
    private readonly TightAdmissionBrokerFixture _broker;

    public UnauthenticatedCallerTests(TightAdmissionBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_call_without_a_token_is_refused_from_its_headers_while_its_announced_4_MiB_body_never_arrives()
    {
        using var attacker = new StalledGrpcRequest(_broker.Address);

        using var response = await attacker.SendAsync("/broker.v1.SessionService/Exec", announced: 4 * 1024 * 1024);

        var (status, message) = await StalledGrpcRequest.StatusAsync(response);
        status.Should().Be(16, "UNAUTHENTICATED, as the gRPC interceptor answered before");
        message.Should().Contain("bearer token is required");
    }

    [Fact]
    public async Task A_call_with_a_bad_token_is_refused_with_the_reason_before_its_body_arrives()
    {
        using var attacker = new StalledGrpcRequest(_broker.Address);

        using var response = await attacker.SendAsync("/broker.v1.RecordingService/ListRecordings", announced: 4 * 1024 * 1024, bearer: "not-a-jwt");

        var (status, message) = await StalledGrpcRequest.StatusAsync(response);
        status.Should().Be(16);
        message.Should().StartWith("the token was refused");
    }

    [Fact]
    public async Task A_health_check_announcing_a_large_message_is_refused_at_its_five_byte_prefix()
    {
        using var attacker = new StalledGrpcRequest(_broker.Address);

        using var response = await attacker.SendAsync("/grpc.health.v1.Health/Check", announced: 4 * 1024 * 1024);

        (await StalledGrpcRequest.StatusAsync(response)).Status.Should().Be(8, "RESOURCE_EXHAUSTED: health messages are a few bytes");
    }

    [Fact]
    public async Task A_compressed_request_is_refused_before_it_could_be_inflated()
    {
        using var attacker = new StalledGrpcRequest(_broker.Address);

        using var response = await attacker.SendAsync("/grpc.health.v1.Health/Check", announced: 4000, grpcEncoding: "gzip");

        var (status, message) = await StalledGrpcRequest.StatusAsync(response);
        status.Should().Be(12, "UNIMPLEMENTED");
        message.Should().Contain("compressed requests");
    }

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

            // An agent connects in the middle of the flood: it authenticates at once and is never closed.
            var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("busy-agent")), "echo", "agent-ran");
            result.StdoutText.Should().Be("agent-ran\n");

            // Every idle socket is closed by the broker: the oldest to make room, the rest by the timeout.
            foreach (var socket in sockets)
            {
                await WaitForCloseAsync(socket);
            }

            (admission.Evicted - evictedBefore).Should().BeGreaterThanOrEqualTo(12, "20 idle connections against a cap of 8");
            admission.Unauthenticated.Should().BeLessThanOrEqualTo(8);

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
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _broker.Address.Port));
        await WaitForCloseAsync(probe);

        await terminal.SendAsync("echo second-$((3*4))\n");
        await terminal.WaitForOutputAsync("second-12");
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
