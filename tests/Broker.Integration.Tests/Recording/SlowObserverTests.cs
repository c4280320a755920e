using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Recording;

/// <summary>A broker whose observers get a tiny live buffer, so any observer that pauses falls behind.</summary>
public sealed class TinyAttachBufferBrokerFixture : BrokerFixture
{
    public TinyAttachBufferBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
        AttachBufferEvents = 2;
    }
}

/// <summary>An observer that stops reading never holds the session back, and still gets every byte.</summary>
public sealed class SlowObserverTests : IClassFixture<TinyAttachBufferBrokerFixture>
{
    private readonly TinyAttachBufferBrokerFixture _broker;

    public SlowObserverTests(TinyAttachBufferBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task An_observer_that_reads_nothing_does_not_block_the_session_and_still_gets_the_complete_stream()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var agent = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("busy-agent")));
        await agent.SendAsync("echo start-$((1+1))\n");
        await agent.WaitForOutputAsync("start-2");

        var (observed, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token("sleepy", "observers")), agent.Opened!.SessionId, fromStart: true, cts.Token);
        using (call)
        {
            // Megabytes of output while the observer reads nothing: far more than its buffer and the
            // HTTP/2 windows hold, so the session can only finish if the observer never holds it back.
            await agent.SendAsync("seq 1 1500000; echo end-$((3+4)); exit\n");
            await agent.WaitForExitAsync();
            agent.Exit.Should().NotBeNull();

            await observed.ReadToEndAsync(call, cts.Token);
        }

        observed.Gaps.Should().BeEmpty();
        observed.Output.Length.Should().Be(agent.OutputBytes.Length);
        observed.Output.Should().Equal(agent.OutputBytes);
        observed.Events.Last().EventCase.Should().Be(Broker.Protocol.V1.RecordingEvent.EventOneofCase.Exit);
    }
}
