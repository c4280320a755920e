using Broker.Server.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using Recorder;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>A session journal on a real recording file of the test's own, and the events it holds once sealed.</summary>
internal sealed class JournalFile : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"journal-{Guid.NewGuid():n}.brkrec");
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    /// <summary>Opens the journal (an interactive session's header) over a fresh file.</summary>
    public RecordingJournal Open()
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

    /// <summary>Every event of the file, which must be sealed.</summary>
    public async Task<List<RecordedEvent>> ReadSealedAsync()
    {
        await using var file = File.OpenRead(_path);
        using var reader = RecordingReader.Open(file);
        var events = new List<RecordedEvent>();
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var item in reader.ReadEventsAsync().WithCancellation(timeout.Token))
        {
            events.Add(item);
        }

        reader.Sealed.Should().BeTrue();
        return events;
    }

    public void Dispose()
    {
        _key.Dispose();
        File.Delete(_path);
    }
}
