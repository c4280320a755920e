using Amazon.Runtime;
using Broker.Core.Targets;
using Broker.Ssm.Api;
using Broker.Ssm.Tests.Support;
using Broker.DevServices.Ssm;
using Broker.DevServices.Ssm.Api;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>Every call is signed with the credential the caller passes (the session's assumed role), and checked.</summary>
public sealed class CredentialTests : IAsyncLifetime
{
    private SsmRig _rig = null!;

    public async Task InitializeAsync() => _rig = await SsmRig.StartAsync(new SsmEmulatorOptions
    {
        Instances =
        [
            new EmulatedInstance("i-0aaaaaaaaaaaaaaaa", new Dictionary<string, string> { ["Role"] = "web", ["Env"] = "prod" }),
            new EmulatedInstance("i-0bbbbbbbbbbbbbbbb", new Dictionary<string, string> { ["Role"] = "web", ["Env"] = "test" }),
            new EmulatedInstance("i-0cccccccccccccccc", new Dictionary<string, string> { ["Role"] = "db", ["Env"] = "prod" }, PingStatus: "ConnectionLost"),
        ],
    });

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    private static CommandStart True => new(new TargetCommand.Argv(["true"]), new Dictionary<string, string>());

    [Fact]
    public async Task Start_session_is_signed_with_the_temporary_credential_the_caller_passed()
    {
        var token = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        _rig.Emulator.AddCredentials("ASIATEMPORARYKEY0001", "temporary-secret", token);
        var assumed = new SessionAWSCredentials("ASIATEMPORARYKEY0001", "temporary-secret", token);

        var process = await _rig.StartCommandAsync(_rig.Target(s => s with { Instance = InstanceSelector.ById("i-0aaaaaaaaaaaaaaaa") }, assumed), new TargetCommand.Argv(["true"]));
        await process.Exited.WaitAsync(Waits.Step);

        var start = _rig.Emulator.Calls.Should().ContainSingle(c => c.Operation == "StartSession").Subject;
        start.AccessKeyId.Should().Be("ASIATEMPORARYKEY0001");
        start.ErrorCode.Should().BeNull();
        _rig.Emulator.Sessions.Single().StartedBy.Should().Be("ASIATEMPORARYKEY0001");
        _rig.Emulator.Calls.Should().OnlyContain(c => c.AccessKeyId == "ASIATEMPORARYKEY0001");
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_by_the_signature_check()
    {
        var result = await _rig.Target(credentials: new BasicAWSCredentials(_rig.AccessKeyId, "not-the-secret")).StartCommandAsync(True, CancellationToken.None);

        result.Error.Should().Contain("InvalidSignatureException");
        _rig.Emulator.Sessions.Should().BeEmpty();
    }

    [Fact]
    public async Task A_temporary_key_without_its_session_token_is_refused()
    {
        _rig.Emulator.AddCredentials("ASIATEMPORARYKEY0002", "temporary-secret", "the-token");

        var result = await _rig.Target(credentials: new BasicAWSCredentials("ASIATEMPORARYKEY0002", "temporary-secret")).StartCommandAsync(True, CancellationToken.None);

        result.Error.Should().Contain("UnrecognizedClientException");
    }

    [Fact]
    public async Task A_tag_filter_selects_the_one_online_instance_that_carries_every_tag()
    {
        var tags = new Dictionary<string, string> { ["Role"] = "web", ["Env"] = "test" };

        var process = await _rig.StartCommandAsync(_rig.Target(s => s with { Instance = InstanceSelector.ByTags(tags) }), new TargetCommand.Argv(["true"]));
        await process.Exited.WaitAsync(Waits.Step);

        _rig.Emulator.Sessions.Single().Instance.InstanceId.Should().Be("i-0bbbbbbbbbbbbbbbb");
        _rig.Emulator.Calls[0].Operation.Should().Be("DescribeInstanceInformation");
        _rig.Emulator.Calls[0].AccessKeyId.Should().Be(_rig.AccessKeyId);
    }

    [Fact]
    public async Task A_tag_filter_that_matches_several_instances_is_refused()
    {
        var result = await _rig.Target(s => s with { Instance = InstanceSelector.ByTags(new Dictionary<string, string> { ["Role"] = "web" }) }).StartCommandAsync(True, CancellationToken.None);

        result.Error.Should().Contain("i-0aaaaaaaaaaaaaaaa").And.Contain("i-0bbbbbbbbbbbbbbbb").And.Contain("exactly one");
        _rig.Emulator.Sessions.Should().BeEmpty();
    }

    [Fact]
    public async Task An_instance_that_is_not_online_is_never_selected()
    {
        var result = await _rig.Target(s => s with { Instance = InstanceSelector.ByTags(new Dictionary<string, string> { ["Role"] = "db" }) }).StartCommandAsync(True, CancellationToken.None);

        result.Error.Should().Contain("no online managed instance");
    }

    [Fact]
    public async Task Instances_are_listed_across_pages()
    {
        var instances = Enumerable.Range(0, 120).Select(i => new EmulatedInstance($"i-{i:D17}", new Dictionary<string, string> { ["Fleet"] = "big" })).ToList();
        await using var big = await SsmRig.StartAsync(new SsmEmulatorOptions { Instances = instances });
        using var api = new SsmSessionApi(new SsmEndpoint("us-east-1", big.Emulator.ServiceUrl), big.Credentials);

        var listed = await api.DescribeInstancesAsync(new Dictionary<string, string> { ["Fleet"] = "big" }, CancellationToken.None).WaitAsync(Waits.Step);

        listed.Value!.Select(i => i.InstanceId).Should().Equal(instances.Select(i => i.InstanceId));
        big.Emulator.Calls.Count(c => c.Operation == "DescribeInstanceInformation").Should().Be(3);
    }
}
