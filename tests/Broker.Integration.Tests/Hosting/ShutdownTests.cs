using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Recorder;

namespace Broker.Integration.Tests.Hosting;

/// <summary>Stopping the host (what SIGTERM does) ends running sessions with the reason and seals their recordings first.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_host_ends_a_running_session_with_the_reason_and_a_sealed_recording()
    {
        var broker = new PermissiveBrokerFixture();
        await broker.InitializeAsync();
        try
        {
            await using var terminal = await TerminalClient.OpenAsync(broker.Client(broker.Token("stopped-agent")));
            var sessionId = terminal.Opened!.SessionId;
            await terminal.SendAsync("echo running-$((6*7))\r");
            await terminal.WaitForOutputAsync("running-42");

            await broker.StopHostAsync();

            await terminal.WaitForExitAsync();
            terminal.Exit!.Reason.Should().Be(ExitReason.BrokerShutdown);
            terminal.Notices.Should().Contain(n => n.Message.Contains("the broker is shutting down"));
            var events = await SealedRecording.ReadAsync(broker, sessionId);
            events.OfType<ExitEvent>().Single().Reason.Should().Be("BrokerShutdown");
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }
}
