using Microsoft.Data.Sqlite;

namespace Replay.Sources;

/// <summary>
/// A session id looked up in a broker's data directory: through its recording index
/// (recordings.db), else by file name under recordings/ (an index can be missing).
/// </summary>
internal sealed class DataDirectorySessionResolver(string dataDirectory) : IRecordingSourceResolver
{
    public const string IndexFile = "recordings.db";

    /// <summary>The broker's exported public key in that directory, when present.</summary>
    public string? PublicKeyPath => File.Exists(Path.Combine(dataDirectory, "recording-key.pub.pem")) ? Path.Combine(dataDirectory, "recording-key.pub.pem") : null;

    public ValueTask<SourceResolution?> ResolveAsync(string location, CancellationToken cancellationToken)
    {
        if (!SessionIdSyntax.IsSessionId(location))
        {
            return ValueTask.FromResult<SourceResolution?>(null);
        }

        var path = FromIndex(location) ?? FromFiles(location);
        return ValueTask.FromResult<SourceResolution?>(path is null
            ? SourceResolution.Failed($"no recording of session {location} in {dataDirectory}")
            : new SourceResolution([new FileRecordingSource(path)]));
    }

    private string? FromIndex(string sessionId)
    {
        var index = Path.Combine(dataDirectory, IndexFile);
        if (!File.Exists(index))
        {
            return null;
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = index, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT location FROM recordings WHERE session_id = $id";
            command.Parameters.AddWithValue("$id", sessionId);
            return command.ExecuteScalar() is string path && File.Exists(path) ? path : null;
        }
        catch (SqliteException)
        {
            // An unreadable index is not fatal: the files are the record.
            return null;
        }
    }

    private string? FromFiles(string sessionId)
    {
        var recordings = Path.Combine(dataDirectory, "recordings");
        return Directory.Exists(recordings)
            ? Directory.EnumerateFiles(recordings, sessionId + ".brkrec", SearchOption.AllDirectories).FirstOrDefault()
            : null;
    }
}
