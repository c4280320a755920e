using Recorder;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>A session's recording once the broker has sealed it (the session's end is asynchronous to its client).</summary>
public static class SealedRecording
{
    /// <summary>Waits until the recording of <paramref name="sessionId"/> verifies as intact and sealed; returns its path.</summary>
    public static async Task<string> WaitAsync(BrokerFixture broker, string sessionId)
    {
        var root = Path.Combine(broker.DataDirectory, "recordings");
        var publicKey = await File.ReadAllTextAsync(Path.Combine(broker.DataDirectory, "recording-key.pub.pem"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var path = Directory.Exists(root)
                ? Directory.EnumerateFiles(root, sessionId + ".brkrec", SearchOption.AllDirectories).SingleOrDefault()
                : null;
            if (path is not null && IsSealed(path, publicKey))
            {
                return path;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, $"the recording of {sessionId} should be sealed within 30 s");
            await Task.Delay(50).WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Every event of the sealed recording of <paramref name="sessionId"/>.</summary>
    public static async Task<List<RecordedEvent>> ReadAsync(BrokerFixture broker, string sessionId)
    {
        var path = await WaitAsync(broker, sessionId);
        await using var stream = File.OpenRead(path);
        var events = new List<RecordedEvent>();
        await foreach (var item in RecordingReader.Open(stream).ReadEventsAsync(CancellationToken.None))
        {
            events.Add(item);
        }

        return events;
    }

    private static bool IsSealed(string path, string publicKey)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return RecordingVerifier.Verify(stream, publicKey).Status == VerificationStatus.IntactAndSealed;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
