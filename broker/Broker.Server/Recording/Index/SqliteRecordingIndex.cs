using Microsoft.Data.Sqlite;

namespace Broker.Server.Recording;

/// <summary>
/// The recording index in an SQLite database in the data directory. One connection behind a
/// lock: rows change twice per session, so contention does not matter, and it keeps the
/// database single-writer.
/// </summary>
internal sealed class SqliteRecordingIndex : IRecordingIndex, IDisposable
{
    public const string FileName = "recordings.db";

    // Columns added after the first release; an older index gains them when it is opened.
    private static readonly (string Name, string Type)[] AddedColumns =
    [
        ("sealed_records", "INTEGER NULL"),
        ("sealed_chain_hash", "TEXT NULL"),
        ("missing_since", "INTEGER NULL"),
    ];

    private readonly Lock _gate = new();
    private readonly SqliteConnection _connection;

    public SqliteRecordingIndex(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        // The index can be rebuilt from the files, so a commit need not wait for the disk: WAL with
        // synchronous=NORMAL survives the broker crashing and keeps fsync off the session path.
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS recordings (
              session_id TEXT PRIMARY KEY,
              location TEXT NOT NULL,
              issuer TEXT NOT NULL,
              subject TEXT NOT NULL,
              target TEXT NOT NULL,
              kind TEXT NOT NULL,
              started_at INTEGER NOT NULL,
              ended_at INTEGER NULL,
              size_bytes INTEGER NOT NULL,
              exit_code INTEGER NULL,
              end_reason TEXT NULL,
              commands INTEGER NOT NULL,
              allowed INTEGER NOT NULL,
              denied INTEGER NOT NULL,
              review INTEGER NOT NULL,
              approvals INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS recordings_started ON recordings(started_at);
            """);
        AddMissingColumns();
    }

    public void Upsert(RecordingIndexEntry entry)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"INSERT INTO recordings ({RecordingColumns.Names}) VALUES ({RecordingColumns.Parameters}) ON CONFLICT (session_id) DO UPDATE SET {RecordingColumns.Replacements}";
            RecordingColumns.Bind(command, entry);
            command.ExecuteNonQuery();
        }
    }

    public RecordingIndexEntry? Get(string sessionId) => Query(RecordingFilter.ById(sessionId), 1).FirstOrDefault();

    public IReadOnlyList<RecordingIndexEntry> List(RecordingQuery query) => Query(RecordingFilter.Of(query), query.Limit);

    public IReadOnlyList<RecordingIndexEntry> EndedBefore(DateTimeOffset cutoff) => Query(RecordingFilter.EndedBefore(cutoff), int.MaxValue);

    public IReadOnlyList<RecordingIndexEntry> Unended() => Query(RecordingFilter.Unended, int.MaxValue);

    public IReadOnlySet<string> SessionIds()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            return RecordingColumns.SelectIds(command, RecordingFilter.All);
        }
    }

    public void Remove(string sessionId)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "DELETE FROM recordings WHERE session_id = @id";
            RecordingColumns.Add(command, "@id", sessionId);
            command.ExecuteNonQuery();
        }
    }

    public void Dispose() => _connection.Dispose();

    private List<RecordingIndexEntry> Query(RecordingFilter filter, int limit)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            return RecordingColumns.Select(command, filter, limit);
        }
    }

    private void AddMissingColumns()
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM pragma_table_info('recordings')";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                present.Add(reader.GetString(0));
            }
        }

        foreach (var (name, type) in AddedColumns.Where(c => !present.Contains(c.Name)))
        {
            Execute($"ALTER TABLE recordings ADD COLUMN {name} {type}");
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
