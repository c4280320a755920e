using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Hosting;

/// <summary>
/// A broker that gives unauthenticated connections far longer than any answer takes: a refusal the tests see must
/// come from the call's headers or prefix, never from the connection's timeout closing it (on a busy machine the
/// tight fixture's 2 s can pass before the first answer).
/// </summary>
public sealed class PatientAdmissionBrokerFixture : BrokerFixture
{
    public PatientAdmissionBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml")) + """

            server:
              limits:
                unauthenticated_timeout: 10m
            """;
    }
}

/// <summary>
/// A call without a valid token is answered from its headers (or a message's 5-byte prefix) before any body is read:
/// each request announces a large message, sends a little of it and stalls; the answer must come anyway.
/// </summary>
public sealed class UnauthenticatedCallRefusalTests : IClassFixture<PatientAdmissionBrokerFixture>
{
    private readonly PatientAdmissionBrokerFixture _broker;

    public UnauthenticatedCallRefusalTests(PatientAdmissionBrokerFixture broker) => _broker = broker;

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
}
