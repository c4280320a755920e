using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Recording;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Limits;

/// <summary>A broker whose recording storage fails every write after the recording's first.</summary>
public sealed class FailingRecorderBrokerFixture : BrokerFixture
{
    public FailingRecorderBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
    }

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton<IRecordingStorage>(sp => new ThrottledRecordingStorage(sp.GetRequiredService<RecordingStore>(), long.MaxValue / 4, fail: true));
}

/// <summary>
/// Fail closed: a session whose recording cannot be written (its journal faulted) is ended with the reason, which the
/// client is told and the recording index keeps; it never runs on unrecorded.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FailingRecorderTests : IClassFixture<FailingRecorderBrokerFixture>
{
    private readonly FailingRecorderBrokerFixture _broker;

    public FailingRecorderTests(FailingRecorderBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_session_whose_recording_fails_to_write_ends_as_control_failed_with_the_reason_indexed()
    {
        var content = OrdinaryText.Generate(16 * 1024 * 1024, seed: 7);
        // Outside the broker's data directory, readable by the session's own account.
        using var scratch = new SessionScratch("failing-recorder-");
        var file = await scratch.WriteReadableAsync("ordinary.txt", content);
        // The program outlives any output: only the session's end stops it.
        var script = $"cat {file}; exec sleep 600";

        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("failing-recorder")), script);

        result.Exit!.Reason.Should().Be(ExitReason.ControlFailed, string.Join("; ", result.Notices.Select(n => n.Message)));
        result.Notices.Should().Contain(n => n.Message.Contains("the session recording cannot be written") && n.Message.Contains("injected write failure"));
        result.Stdout.AsSpan().SequenceEqual(content.AsSpan(0, Math.Min(result.Stdout.Length, content.Length))).Should().BeTrue("what the client got is a prefix of the output");
        var row = await EndedRow.WaitAsync(_broker, "failing-recorder");
        row.EndReason.Should().Be("ControlFailed");
    }
}
