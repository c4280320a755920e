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

        var row = FromIndex(location);
        if (row is { Location: var indexed } && !File.Exists(indexed))
        {
            // The index lists the session and its file is gone: that is reported, never passed over.
            var since = row.MissingSince is { } missing ? $" (found gone {DateTimeOffset.FromUnixTimeMilliseconds(missing):u})" : string.Empty;
            var seal = row.Expected.RecordCount is { } records ? $"; it was sealed over {records} records, {row.Expected.SizeBytes} bytes" : string.Empty;
            return ValueTask.FromResult<SourceResolution?>(new SourceResolution([new MissingRecordingSource($"session {location}", $"the index lists {indexed}, which no longer exists{since}{seal}")]));
        }

        var path = row?.Location ?? FromFiles(location);
        return ValueTask.FromResult<SourceResolution?>(path is null
            ? SourceResolution.Failed($"no recording of session {location} in {dataDirectory}")
            : new SourceResolution([new IndexedRecordingSource(new FileRecordingSource(path), row?.Expected ?? RecordingExpectation.ForSession(location))]));
    }

    private IndexRow? FromIndex(string sessionId)
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
            var withSeals = HasSealColumns(connection);
            command.CommandText = withSeals
                ? "SELECT location, sealed_records, sealed_chain_hash, size_bytes, missing_since FROM recordings WHERE session_id = $id"
                : "SELECT location FROM recordings WHERE session_id = $id";
            command.Parameters.AddWithValue("$id", sessionId);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var hasSeal = withSeals && !reader.IsDBNull(1) && !reader.IsDBNull(2);
            return new IndexRow(
                reader.GetString(0),
                new RecordingExpectation(sessionId, hasSeal ? reader.GetInt64(1) : null, hasSeal ? reader.GetString(2) : null, hasSeal ? reader.GetInt64(3) : null),
                withSeals && !reader.IsDBNull(4) ? reader.GetInt64(4) : null);
        }
        catch (SqliteException)
        {
            // An unreadable index is not fatal: the files are the record.
            return null;
        }
    }

    /// <summary>An index written before seals were kept has no such columns.</summary>
    private static bool HasSealColumns(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('recordings') WHERE name = 'sealed_chain_hash'";
        return command.ExecuteScalar() is long count && count > 0;
    }

    private sealed record IndexRow(string Location, RecordingExpectation Expected, long? MissingSince);

    private string? FromFiles(string sessionId)
    {
        var recordings = Path.Combine(dataDirectory, "recordings");
        return Directory.Exists(recordings)
            ? Directory.EnumerateFiles(recordings, sessionId + ".brkrec", SearchOption.AllDirectories).FirstOrDefault()
            : null;
    }
}
