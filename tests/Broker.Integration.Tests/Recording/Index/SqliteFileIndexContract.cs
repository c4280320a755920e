using Broker.Server.Recording;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>The index contract on an index kept in an SQLite file in a temporary directory, however it is wrapped.</summary>
public abstract class SqliteFileIndexContract : RecordingIndexContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("recording-index-").FullName;

    /// <summary>Every index opened on the file, disposed at the end.</summary>
    private protected List<IDisposable> Opened { get; } = [];

    public override async Task DisposeAsync()
    {
        foreach (var index in Opened)
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
        var index = Open(Path.Combine(_directory, SqliteRecordingIndex.FileName));
        Opened.Add((IDisposable)index);
        return index;
    }

    /// <summary>Opens the index on the database file at <paramref name="path"/> (it may exist: a restart).</summary>
    private protected abstract IRecordingIndex Open(string path);
}
