using Broker.Core.Sessions;
using Broker.Server.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using Recorder;

namespace Broker.Integration.Tests.Recording;

/// <summary>The journal a session records through, on a real recording file.</summary>
public sealed class RecordingJournalTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"journal-{Guid.NewGuid():n}.brkrec");
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose()
    {
        _key.Dispose();
        File.Delete(_path);
    }

    [Fact]
    public async Task What_races_the_end_of_a_session_is_dropped_after_the_exit_record_instead_of_failing_the_call()
    {
        var journal = Open();
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

        var events = await ReadAsync();
        events[^1].Should().BeOfType<ExitEvent>();
        events.OfType<InputEvent>().Should().BeEmpty();
        events.OfType<OutputEvent>().Should().ContainSingle();
    }

    private RecordingJournal Open()
    {
        var header = new RecordingHeader
        {
            SessionId = "s-journal",
            Subject = "agent",
            Issuer = "test",
            Roles = ["agent"],
            Target = "local",
            Kind = "interactive",
            Columns = 80,
            Rows = 24,
            Term = "xterm",
            BrokerVersion = "test",
            StartedAt = DateTimeOffset.UnixEpoch,
        };
        var writer = RecordingWriter.Create(File.Create(_path), header, _key, new RecordingWriterOptions(), TimeProvider.System);
        return new RecordingJournal(writer, _path, NullLogger.Instance, TimeProvider.System, null);
    }

    private async Task<List<RecordedEvent>> ReadAsync()
    {
        await using var file = File.OpenRead(_path);
        using var reader = RecordingReader.Open(file);
        var events = new List<RecordedEvent>();
        await foreach (var item in reader.ReadEventsAsync().WithCancellation(new CancellationTokenSource(Timeout).Token))
        {
            events.Add(item);
        }

        reader.Sealed.Should().BeTrue();
        return events;
    }
}
