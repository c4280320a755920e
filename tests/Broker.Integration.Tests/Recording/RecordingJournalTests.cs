using Broker.Core.Sessions;
using Broker.Integration.Tests.Fixtures;
using Recorder;

namespace Broker.Integration.Tests.Recording;

/// <summary>The journal a session records through, on a real recording file.</summary>
public sealed class RecordingJournalTests : IDisposable
{
    private static readonly TimeSpan Timeout = JournalFile.Timeout;
    private readonly JournalFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task What_races_the_end_of_a_session_is_dropped_after_the_exit_record_instead_of_failing_the_call()
    {
        var journal = _file.Open();
        journal.Output(OutputChannel.Terminal, "before\r\n"u8);
        journal.Ended(new SessionEvent.Ended(0, 0, SessionEndReason.Exited));

        journal.Input("typed as it ended\n"u8);
        journal.Output(OutputChannel.Terminal, "echo as it ended"u8);
        await journal.CompleteAsync().WaitAsync(Timeout);
        journal.Input("after the seal\n"u8);
        journal.Output(OutputChannel.Terminal, "after the seal"u8);
        journal.Resize(100, 40);
        journal.Notice(NoticeKind.Info, "after the seal");
        journal.Command(new CommandRecord { Text = "ls", FactsJson = "{}", Decision = "allow" }).Should().Be(0);
        await journal.WriterClosed.WaitAsync(Timeout);

        var events = await _file.ReadSealedAsync();
        events[^1].Should().BeOfType<ExitEvent>();
        events.OfType<InputEvent>().Should().BeEmpty();
        events.OfType<OutputEvent>().Should().ContainSingle();
    }
}
