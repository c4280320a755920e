using System.Text;
using Broker.Integration.Tests.Fixtures;
using Recorder;

namespace Broker.Integration.Tests.Recording;

/// <summary>Every session leaves a signed recording of what the agent saw, decisions included.</summary>
public sealed class SessionRecordingTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public SessionRecordingTests(BrokerFixture broker) => _broker = broker;

    private string PublicKey => File.ReadAllText(Path.Combine(_broker.DataDirectory, "recording-key.pub.pem"));

    private string RecordingOf(string sessionId) =>
        Directory.EnumerateFiles(Path.Combine(_broker.DataDirectory, "recordings"), sessionId + ".brkrec", SearchOption.AllDirectories).Single();

    [Fact]
    public async Task An_exec_session_is_recorded_sealed_with_its_decision_masked_output_and_exit()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rec-{Guid.NewGuid():n}.txt");
        await File.WriteAllTextAsync(file, "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 end\n");
        try
        {
            var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("recorded-agent")), "cat", file);
            result.Exit!.Code.Should().Be(0);

            var path = RecordingOf(result.SessionId);
            await using (var stream = File.OpenRead(path))
            {
                RecordingVerifier.Verify(stream, PublicKey).Status.Should().Be(VerificationStatus.IntactAndSealed);
            }

            await using var read = File.OpenRead(path);
            var reader = RecordingReader.Open(read);
            reader.Header.Subject.Should().Be("recorded-agent");
            reader.Header.Roles.Should().Contain("agent");
            var events = new List<RecordedEvent>();
            await foreach (var item in reader.ReadEventsAsync(CancellationToken.None))
            {
                events.Add(item);
            }

            var output = Encoding.UTF8.GetString(events.OfType<OutputEvent>().SelectMany(o => o.Data.ToArray()).ToArray());
            output.Should().Be(result.StdoutText);
            output.Should().NotContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
            events.OfType<CommandEvent>().Should().ContainSingle().Which.Command.Decision.Should().Be("allow");
            events.OfType<ExitEvent>().Should().ContainSingle().Which.Code.Should().Be(0);
            events.OfType<MaskingCountsEvent>().Should().ContainSingle();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_held_command_is_recorded_with_its_decision_and_request_and_nothing_else_ran()
    {
        // Return mode: the call ends at once, with the command held and not run.
        var result = await ExecResult.RunAsync(_broker.Client(_broker.Token("denied-agent")), new Broker.Protocol.V1.ExecStart { Target = "local", Script = "rm -rf /tmp/never-recorded", NoWait = true }, null);
        result.Exit!.Code.Should().Be(75);
        var path = Directory.EnumerateFiles(Path.Combine(_broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories)
            .Single(p =>
            {
                using var s = File.OpenRead(p);
                return RecordingReader.Open(s).Header.Subject == "denied-agent";
            });
        await using var stream = File.OpenRead(path);
        var reader = RecordingReader.Open(stream);
        var events = new List<RecordedEvent>();
        await foreach (var item in reader.ReadEventsAsync(CancellationToken.None))
        {
            events.Add(item);
        }

        var command = events.OfType<CommandEvent>().Should().ContainSingle().Which.Command;
        command.Decision.Should().Be("review");
        command.RuleId.Should().Be("file-changes");
        events.OfType<OutputEvent>().Should().BeEmpty();
        events.OfType<ApprovalEvent>().Should().ContainSingle().Which.Approval.Kind.Should().Be(ApprovalEventKind.Requested);
        events.OfType<ExitEvent>().Single().Code.Should().Be(75);
    }
}
