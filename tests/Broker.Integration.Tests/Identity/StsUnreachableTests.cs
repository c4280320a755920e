using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;

namespace Broker.Integration.Tests.Identity;

/// <summary>When STS cannot be reached, a session of an AWS role does not open, and the client is told why.</summary>
[Collection(IdentityTestGroup.Name)]
public sealed class StsUnreachableTests : IClassFixture<UnreachableStsBrokerFixture>
{
    private readonly UnreachableStsBrokerFixture _broker;

    public StsUnreachableTests(UnreachableStsBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task An_unreachable_sts_makes_the_open_unavailable_naming_the_role()
    {
        var client = _broker.Client(_broker.Token("agent-1"));
        var act = () => ExecResult.RunScriptAsync(client, "echo should-not-run");

        var error = (await act.Should().ThrowAsync<RpcException>()).Which;

        error.StatusCode.Should().Be(StatusCode.Unavailable);
        error.Status.Detail.Should().Contain("role 'aws-reader'").And.Contain(AwsBrokerFixture.RoleArn).And.Contain("StsUnreachable");
        var sessions = await client.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true }, deadline: DateTime.UtcNow.AddSeconds(30));
        sessions.Sessions.Should().BeEmpty();
    }
}
