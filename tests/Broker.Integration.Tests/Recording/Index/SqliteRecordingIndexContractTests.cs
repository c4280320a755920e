using Broker.Server.Recording;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>The index contract on the embedded SQLite index, in a temporary directory.</summary>
public sealed class SqliteRecordingIndexContractTests : RecordingIndexContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("recording-index-").FullName;
    private readonly List<SqliteRecordingIndex> _opened = [];

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
        var index = new SqliteRecordingIndex(Path.Combine(_directory, SqliteRecordingIndex.FileName));
        _opened.Add(index);
        return index;
    }
}
