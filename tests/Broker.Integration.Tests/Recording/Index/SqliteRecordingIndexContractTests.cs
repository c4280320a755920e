using Broker.Server.Recording;

namespace Broker.Integration.Tests.Recording.Index;

/// <summary>The index contract on the embedded SQLite index, in a temporary directory.</summary>
public sealed class SqliteRecordingIndexContractTests : SqliteFileIndexContract
{
    private protected override IRecordingIndex Open(string path) => new SqliteRecordingIndex(path);
}
