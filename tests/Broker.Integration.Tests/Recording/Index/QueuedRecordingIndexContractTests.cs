using Broker.Server.Recording;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>
/// The index contract on the embedded SQLite index as the broker uses it: its upserts written behind the caller by
/// the thread pool, every read writing what is queued first.
/// </summary>
public sealed class QueuedRecordingIndexContractTests : SqliteFileIndexContract
{
    private protected override IRecordingIndex Open(string path)
    {
        // A restart: the broker that queued rows has written them by the time it stops.
        foreach (var previous in Opened)
        {
            ((QueuedRecordingIndex)previous).Flush();
        }

        return new QueuedRecordingIndex(new SqliteRecordingIndex(path), NullLogger.Instance);
    }
}
