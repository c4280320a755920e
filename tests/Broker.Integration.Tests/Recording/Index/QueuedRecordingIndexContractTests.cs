using Broker.Server.Recording;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>
/// The index contract on the embedded SQLite index as the broker uses it: its upserts written behind the caller by
/// the thread pool, every read writing what is queued first.
/// </summary>
public sealed class QueuedRecordingIndexContractTests : RecordingIndexContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("recording-index-").FullName;
    private readonly List<QueuedRecordingIndex> _opened = [];

    public override async Task DisposeAsync()
    {
        foreach (var index in _opened)
        {
            index.Dispose();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        await base.DisposeAsync();
    }

    private protected override Task<IRecordingIndex> OpenAsync() => Task.FromResult(OpenSame());

    private protected override IRecordingIndex OpenSame()
    {
        // A restart: the broker that queued rows has written them by the time it stops.
        foreach (var previous in _opened)
        {
            previous.Flush();
        }

        var index = new QueuedRecordingIndex(new SqliteRecordingIndex(Path.Combine(_directory, SqliteRecordingIndex.FileName)), NullLogger.Instance);
        _opened.Add(index);
        return index;
    }
}
