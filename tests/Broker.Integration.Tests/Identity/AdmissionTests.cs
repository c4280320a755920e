using Broker.Integration.Tests.Fixtures;
using Broker.Server.Recording;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Identity;

/// <summary>
/// Admission comes first: a caller at its session cap is refused before its session costs anything, so refused
/// attempts leave no recording file, no index row and no AssumeRole call (the role has AWS credentials).
/// </summary>
[Collection(IdentityTestGroup.Name)]
public sealed class AdmissionTests : IClassFixture<CappedAwsBrokerFixture>
{
    private const string Agent = "agent-capped";
    private readonly CappedAwsBrokerFixture _broker;

    public AdmissionTests(CappedAwsBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_caller_at_its_cap_is_refused_without_a_recording_an_index_row_or_an_assume_role()
    {
        var client = _broker.Client(_broker.Token(Agent));
        await using var first = await TerminalClient.OpenAsync(client);
        var catalog = _broker.Services.GetRequiredService<RecordingCatalog>();
        AssumeRoleCalls().Should().Be(1, "the open session got its credentials");
        catalog.Index.List(new RecordingQuery { Subject = Agent }).Should().ContainSingle();
        RecordingFiles().Should().ContainSingle();

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var exec = () => ExecResult.RunScriptAsync(client, "true");
            (await exec.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.ResourceExhausted);
            var shell = () => TerminalClient.OpenAsync(client);
            (await shell.Should().ThrowAsync<RpcException>()).Which.Status.Detail.Should().Contain("limit is 1");
        }

        AssumeRoleCalls().Should().Be(1, "a refused attempt never reaches STS");
        catalog.Index.List(new RecordingQuery { Subject = Agent }).Should().ContainSingle("a refused attempt has no index row");
        RecordingFiles().Should().ContainSingle("a refused attempt has no recording file");
    }

    private int AssumeRoleCalls() => _broker.Sts.AssumeRoleCalls.Count(c => c.RoleSessionName == Agent);

    private List<string> RecordingFiles() =>
        [.. Directory.EnumerateFiles(_broker.DataDirectory, "*" + RecordingStore.Extension, SearchOption.AllDirectories)];
}
