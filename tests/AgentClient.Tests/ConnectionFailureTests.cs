using System.Net.Sockets;
using AgentClient.Connection;
using Grpc.Core;

namespace AgentClient.Tests;

/// <summary>How a call that never reached the broker is explained (the TLS/plain probes are exercised end to end in EndToEnd.Tests).</summary>
public sealed class ConnectionFailureTests
{
    private static readonly Uri Broker = new("http://127.0.0.1:7443");

    private static RpcException Failed(StatusCode code, Exception cause) => new(new Status(code, "Error starting gRPC call.", cause));

    [Fact]
    public async Task Nothing_listening_names_the_url_and_the_address()
    {
        var failure = Failed(StatusCode.Unavailable, new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:7443)", new SocketException((int)SocketError.ConnectionRefused)));

        var message = await ConnectionFailure.ExplainAsync(failure, Broker);

        message.Should().Contain("http://127.0.0.1:7443").And.Contain("nothing is listening on 127.0.0.1:7443");
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_named()
    {
        var broker = new Uri("http://no-such-broker.invalid:7443");
        var failure = Failed(StatusCode.Unavailable, new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known", new SocketException((int)SocketError.HostNotFound)));

        var message = await ConnectionFailure.ExplainAsync(failure, broker);

        message.Should().Contain("'no-such-broker.invalid' does not resolve");
    }

    [Theory]
    [InlineData(StatusCode.Unauthenticated)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.NotFound)]
    public async Task The_brokers_own_answers_are_not_connection_failures(StatusCode code)
    {
        var failure = new RpcException(new Status(code, "the broker said no"));

        (await ConnectionFailure.ExplainAsync(failure, Broker)).Should().BeNull();
    }
}
