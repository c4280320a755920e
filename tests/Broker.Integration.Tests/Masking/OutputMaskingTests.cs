using System.Text;
using Broker.Integration.Tests.Fixtures;
using Recorder;

namespace Broker.Integration.Tests.Masking;

/// <summary>
/// `cat` of a file full of secrets, through a real broker: neither what the agent receives nor the
/// session's recording holds four bytes of any of them, and the recording counts what was masked.
/// </summary>
public sealed class OutputMaskingTests : IClassFixture<PermissiveBrokerFixture>
{
    private readonly PermissiveBrokerFixture _broker;

    public OutputMaskingTests(PermissiveBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task Exec_cat_of_a_secrets_file_shows_the_agent_and_the_recording_only_named_masks()
    {
        var file = await SecretFile.WriteAsync();
        try
        {
            var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("masking-exec")), "cat", file);

            result.Exit!.Code.Should().Be(0);
            SecretFile.ShouldNotLeakAnySecret(result.Stdout, "the exec stdout");
            SecretFile.ShouldNotLeakAnySecret(result.Stderr, "the exec stderr");
            result.StdoutText.Should().Contain("aws_access_key_id = [MASKED:aws-access-key-id]")
                .And.Contain("postgres://app_user:[MASKED:connection-string-password]@db.internal:5432/app")
                .And.Contain("end of secrets");
            SecretFile.ShouldNameEveryMask(result.StdoutText);

            var path = await SealedRecording.WaitAsync(_broker, result.SessionId);
            var (events, output, input) = await SecretFile.ReadRecordingAsync(path);
            Encoding.UTF8.GetString(output).Should().Be(result.StdoutText + result.StderrText);
            SecretFile.ShouldNotLeakAnySecret(output, "the recorded output");
            SecretFile.ShouldNotLeakAnySecret(input, "the recorded input");
            SecretFile.ShouldNotLeakAnySecret(SecretFile.EventText(events), "the recorded events");
            var counts = events.OfType<MaskingCountsEvent>().Should().ContainSingle().Which.Counts;
            SecretFile.ShouldNameEveryMask(result.StdoutText, counts);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Interactive_cat_of_a_secrets_file_shows_the_terminal_and_the_recording_only_named_masks()
    {
        var file = await SecretFile.WriteAsync();
        try
        {
            string sessionId;
            byte[] received;
            await using (var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("masking-terminal"))))
            {
                sessionId = terminal.Opened!.SessionId;
                await terminal.SendAsync($"cat {file}; echo done-$((6*7))\r");
                await terminal.WaitForOutputAsync("done-42");
                await terminal.SendAsync("exit 0\r");
                await terminal.WaitForExitAsync();
                terminal.Exit!.Code.Should().Be(0);
                received = terminal.OutputBytes;
            }

            SecretFile.ShouldNotLeakAnySecret(received, "the terminal output");
            var text = Encoding.UTF8.GetString(received);
            text.Should().Contain("aws_access_key_id = [MASKED:aws-access-key-id]").And.Contain("end of secrets");
            SecretFile.ShouldNameEveryMask(text);

            var path = await SealedRecording.WaitAsync(_broker, sessionId);
            var (events, output, input) = await SecretFile.ReadRecordingAsync(path);
            SecretFile.ShouldNotLeakAnySecret(output, "the recorded output");
            SecretFile.ShouldNotLeakAnySecret(input, "the recorded input");
            SecretFile.ShouldNotLeakAnySecret(SecretFile.EventText(events), "the recorded events");
            Encoding.UTF8.GetString(output).Should().Contain("[MASKED:pem-private-key]").And.Contain("done-42");
            var counts = events.OfType<MaskingCountsEvent>().Should().ContainSingle().Which.Counts;
            SecretFile.ShouldNameEveryMask(text, counts);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The session's recording (RecordingStore layout: recordings/yyyy-MM-dd/id.brkrec), once it is sealed.</summary>
}
