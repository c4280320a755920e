using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;
using Recorder;

namespace Broker.Integration.Tests.Limits;

/// <summary>The permissive policy, with a recording cap of 1 MiB on target 'local'.</summary>
public sealed class RecordingCapBrokerFixture : BrokerFixture
{
    public RecordingCapBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"))
            .Replace("    max_sessions_per_identity: 4", "    max_sessions_per_identity: 4\n    max_recording_size: 1MiB", StringComparison.Ordinal);
    }
}

/// <summary>The permissive policy with a free-space floor no disk meets.</summary>
public sealed class UnreachableFloorBrokerFixture : BrokerFixture
{
    public UnreachableFloorBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml")) + """

            server:
              recording:
                min_free_space: 1000TiB
            """;
    }
}

/// <summary>The permissive policy, its data directory on a 64 MiB file system of its own with a floor of 24 MiB (root only).</summary>
public sealed class SmallDiskBrokerFixture : BrokerFixture
{
    private LoopFilesystem? _disk;

    public SmallDiskBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml")) + """

            server:
              recording:
                min_free_space: 24MiB
            """;
    }

    public override async Task InitializeAsync()
    {
        if (Environment.UserName == "root")
        {
            _disk = await LoopFilesystem.MountAsync(DataDirectory, 64L * 1024 * 1024);
            await base.InitializeAsync();
        }
    }

    public override async Task DisposeAsync()
    {
        if (_disk is not null)
        {
            await base.DisposeAsync();
            await _disk.DisposeAsync();
        }
    }
}

/// <summary>
/// A session whose recording reaches its cap, or whose disk reaches its floor, ends with the reason and
/// a sealed recording of exactly what its client was shown; no session starts below the floor.
/// </summary>
public sealed class RecordingCapTests : IClassFixture<RecordingCapBrokerFixture>
{
    private readonly RecordingCapBrokerFixture _broker;

    public RecordingCapTests(RecordingCapBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_session_whose_recording_reaches_its_cap_ends_with_the_reason_and_a_sealed_recording_of_what_was_shown()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("capped")), "head -c 20000000 /dev/urandom");

        result.Exit!.Reason.Should().Be(ExitReason.RecordingLimit);
        result.Notices.Should().Contain(n => n.Message.Contains("reached its cap of 1 MiB"));
        result.Stdout.Length.Should().BeLessThan(20_000_000);

        var path = await SealedRecording.WaitAsync(_broker, result.SessionId);
        var events = await SealedRecording.ReadAsync(_broker, result.SessionId);
        var recorded = events.OfType<OutputEvent>().Where(e => e.Stream == Recorder.OutputStream.Stdout).SelectMany(e => e.Data.ToArray()).ToArray();
        recorded.AsSpan().SequenceEqual(result.Stdout).Should().BeTrue("the client was shown exactly what was recorded, nothing past the cap");
        events.OfType<ExitEvent>().Single().Reason.Should().Be("RecordingLimit");
        new FileInfo(path).Length.Should().BeLessThan((1024 * 1024) + (128 * 1024), "the cap is reached within one event");
    }
}

public sealed class UnreachableFloorTests : IClassFixture<UnreachableFloorBrokerFixture>
{
    private readonly UnreachableFloorBrokerFixture _broker;

    public UnreachableFloorTests(UnreachableFloorBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task No_session_starts_while_the_data_directory_is_below_its_floor()
    {
        var run = () => ExecResult.RunArgvAsync(_broker.Client(_broker.Token("refused")), "echo", "never");

        var error = (await run.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.ResourceExhausted);
        error.Status.Detail.Should().Contain("below its floor of 1000 TiB").And.Contain("new sessions are refused");
        Directory.EnumerateFiles(Path.Combine(_broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories).Should().BeEmpty("nothing was opened");
    }
}

public sealed class SmallDiskTests : IClassFixture<SmallDiskBrokerFixture>
{
    private readonly SmallDiskBrokerFixture _broker;

    public SmallDiskTests(SmallDiskBrokerFixture broker) => _broker = broker;

    [RootFact]
    public async Task A_session_filling_the_disk_ends_at_the_floor_with_a_sealed_recording_and_the_next_is_refused_until_space_is_freed()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("filler")), "head -c 200000000 /dev/urandom");

        result.Exit!.Reason.Should().Be(ExitReason.RecordingLimit, string.Join("; ", result.Notices.Select(n => n.Message)));
        result.Notices.Should().Contain(n => n.Message.Contains("below its floor of 24 MiB"));
        var path = await SealedRecording.WaitAsync(_broker, result.SessionId);
        var recorded = (await SealedRecording.ReadAsync(_broker, result.SessionId)).OfType<OutputEvent>().SelectMany(e => e.Data.ToArray()).ToArray();
        recorded.AsSpan().SequenceEqual(result.Stdout).Should().BeTrue();

        var next = () => ExecResult.RunArgvAsync(_broker.Client(_broker.Token("next")), "echo", "waits");
        (await next.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.ResourceExhausted);

        File.Delete(path);
        var after = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("next")), "echo", "room-again");
        after.StdoutText.Should().Be("room-again\n");
    }
}
