using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Configuration;
using Broker.Server.Recording;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Recorder;

namespace Broker.Integration.Tests.Limits;

/// <summary>A broker whose recordings are written through a stream of 4 MB/s, with a 1 MiB recording backlog (256 KiB segments).</summary>
public sealed class SlowRecorderBrokerFixture : BrokerFixture
{
    public const long RecorderBytesPerSecond = 4_000_000;

    public SlowRecorderBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
    }

    internal ThrottledRecordingStorage Storage { get; private set; } = null!;

    internal RecordingWriterOptions Options { get; private set; } = null!;

    private protected override BrokerSettings Configure(BrokerSettings settings)
    {
        Options = settings.Recording with { MaxPendingBytes = 1024 * 1024, SegmentBytes = 256 * 1024 };
        return settings with { Recording = Options };
    }

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton<IRecordingStorage>(sp => Storage = new ThrottledRecordingStorage(sp.GetRequiredService<RecordingStore>(), RecorderBytesPerSecond));
}

/// <summary>A broker whose recording storage hangs after the header, with a 3 s stall timeout.</summary>
public sealed class HungRecorderBrokerFixture : BrokerFixture
{
    public HungRecorderBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
    }

    internal ThrottledRecordingStorage Storage { get; private set; } = null!;

    private protected override BrokerSettings Configure(BrokerSettings settings) =>
        settings with { Recording = settings.Recording with { StallTimeout = TimeSpan.FromSeconds(3) } };

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton<IRecordingStorage>(sp => Storage = new ThrottledRecordingStorage(sp.GetRequiredService<RecordingStore>(), long.MaxValue / 4, hang: true));

    public override async Task DisposeAsync()
    {
        Storage?.Unhang();
        await base.DisposeAsync();
    }
}

/// <summary>
/// A slow recorder slows the session and never ends it: the program's output is not read while the
/// recording is behind, so it arrives complete and byte-exact, only later, and the broker holds no
/// more than the recording's backlog. Only a recorder that writes nothing at all ends the session.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlowRecorderTests : IClassFixture<SlowRecorderBrokerFixture>
{
    private readonly SlowRecorderBrokerFixture _broker;

    public SlowRecorderTests(SlowRecorderBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task Output_many_times_the_backlog_arrives_complete_and_byte_exact_through_a_slow_recorder()
    {
        var content = OrdinaryText.Generate(24 * 1024 * 1024, seed: 12);
        // Outside the broker's data directory, readable by the session's own account.
        using var scratch = new SessionScratch("recorder-input-");
        var file = await scratch.WriteReadableAsync("ordinary.txt", content);

        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("slow-recorder")), "cat", file);

        result.Exit!.Reason.Should().Be(ExitReason.Exited, string.Join("; ", result.Notices.Select(n => n.Message)));
        result.Exit.Code.Should().Be(0);
        result.Stdout.Length.Should().Be(content.Length);
        result.Stdout.AsSpan().SequenceEqual(content).Should().BeTrue("the client gets every byte, in order");

        // The recording holds the same bytes and is sealed: nothing was dropped to keep up.
        var recorded = (await SealedRecording.ReadAsync(_broker, result.SessionId)).OfType<OutputEvent>().Where(e => e.Stream == Recorder.OutputStream.Stdout);
        recorded.SelectMany(e => e.Data.ToArray()).ToArray().AsSpan().SequenceEqual(content).Should().BeTrue();

        // The program waited for the recorder: the backlog never grew past the limit (plus the segment
        // being filled and one event), where without back-pressure it would have held most of the output.
        _broker.Storage.LargestBacklog.Should().BeLessThanOrEqualTo(_broker.Options.MaxPendingBytes + _broker.Options.SegmentBytes + (128 * 1024));
    }
}

/// <summary>A recorder that makes no progress at all for the stall timeout ends the session with the reason.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HungRecorderTests : IClassFixture<HungRecorderBrokerFixture>
{
    private readonly HungRecorderBrokerFixture _broker;

    public HungRecorderTests(HungRecorderBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_recorder_that_writes_nothing_for_the_stall_timeout_ends_the_session_with_the_reason()
    {
        var content = OrdinaryText.Generate(8 * 1024 * 1024, seed: 5);
        // Outside the broker's data directory, readable by the session's own account.
        using var scratch = new SessionScratch("recorder-input-");
        var file = await scratch.WriteReadableAsync("ordinary.txt", content);

        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("hung-recorder")), "cat", file);

        result.Exit!.Reason.Should().Be(ExitReason.ControlFailed);
        result.Notices.Should().Contain(n => n.Message.Contains("made no progress for"));
        // What the client got is never more than a prefix of the output.
        result.Stdout.Length.Should().BeLessThan(content.Length);
        result.Stdout.AsSpan().SequenceEqual(content.AsSpan(0, result.Stdout.Length)).Should().BeTrue();
    }
}
