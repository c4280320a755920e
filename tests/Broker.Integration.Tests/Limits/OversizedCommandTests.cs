using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Recording;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Recorder;

namespace Broker.Integration.Tests.Limits;

/// <summary>
/// A command whose text a record cannot hold is refused with INVALID_ARGUMENT before anything runs,
/// and its session still leaves a sealed recording, an ended index row and no open descriptor; a
/// command whose text fits is recorded whole, whatever the size of its parsed facts.
/// </summary>
public sealed class OversizedCommandTests : IClassFixture<PermissiveBrokerFixture>
{
    private readonly PermissiveBrokerFixture _broker;

    public OversizedCommandTests(PermissiveBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_command_larger_than_a_record_is_refused_before_it_runs_and_its_recording_is_sealed()
    {
        var marker = Path.Combine(_broker.DataDirectory, "oversized-ran-" + Guid.NewGuid().ToString("n"));
        var script = $"touch {marker}; : " + string.Join(' ', Enumerable.Repeat("padding", 200_000));
        Encoding.UTF8.GetByteCount(script).Should().BeGreaterThan(RecordingWriter.MaxStructuredPayloadBytes);

        var run = () => ExecResult.RunScriptAsync(_broker.Client(_broker.Token("oversized-agent")), script);

        var error = (await run.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.InvalidArgument);
        error.Status.Detail.Should().Contain("bytes").And.Contain("before anything ran");
        File.Exists(marker).Should().BeFalse("nothing ran");

        var row = await EndedRow.WaitAsync(_broker, "oversized-agent");
        var path = await SealedRecording.WaitAsync(_broker, row.SessionId);
        var events = await SealedRecording.ReadAsync(_broker, row.SessionId);
        var command = events.OfType<CommandEvent>().Single().Command;
        command.Decision.Should().Be("deny");
        command.Text.Should().StartWith($"touch {marker}; : padding");
        command.Reason.Should().Contain("refused before anything ran");
        // A command the recording cannot hold is a control that cannot be enforced.
        events.Last().Should().BeOfType<ExitEvent>().Which.Reason.Should().Be("ControlFailed");

        // The recording's file is closed: no descriptor of the broker still points at it. The writer closes it once
        // the seal is written and visible, so the close is awaited (a descriptor that stays open fails the wait).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (OpenDescriptorsTo(path).Count > 0 && !timeout.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        OpenDescriptorsTo(path).Should().BeEmpty();
    }

    [Fact]
    public async Task A_command_whose_parsed_facts_outgrow_a_record_is_decided_and_recorded_with_its_whole_text()
    {
        // A program name of 100,000 control characters: as JSON (\u0001 is six bytes) the text fits in a
        // record, but the facts name the program again and the two together do not. Recording it used to throw.
        var script = new string('\u0001', 100_000);

        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("long-agent")), script);

        result.Exit!.Reason.Should().Be(ExitReason.PolicyDenied, "control characters are refused by the policy");
        var row = await EndedRow.WaitAsync(_broker, "long-agent");
        var command = (await SealedRecording.ReadAsync(_broker, row.SessionId)).OfType<CommandEvent>().Single().Command;
        command.Text.Should().Be(script);
        command.Decision.Should().Be("deny");
        command.FactsJson.Should().Contain("omitted");
    }

    private static List<string> OpenDescriptorsTo(string path)
    {
        var open = new List<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == path)
                {
                    open.Add(fd);
                }
            }
            catch (IOException)
            {
                // Closed while listing.
            }
        }

        return open;
    }
}
