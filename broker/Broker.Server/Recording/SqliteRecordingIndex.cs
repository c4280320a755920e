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

    private const string Columns =
        "session_id, location, issuer, subject, target, kind, started_at, ended_at, size_bytes, exit_code, end_reason, commands, allowed, denied, review, approvals, "
        + "sealed_records, sealed_chain_hash, missing_since";

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
            command.CommandText = $"INSERT OR REPLACE INTO recordings ({Columns}) VALUES " +
                "($id, $location, $issuer, $subject, $target, $kind, $started, $ended, $size, $exit, $reason, $commands, $allowed, $denied, $review, $approvals, $records, $hash, $missing)";
            command.Parameters.AddWithValue("$id", entry.SessionId);
            command.Parameters.AddWithValue("$location", entry.Location);
            command.Parameters.AddWithValue("$issuer", entry.Issuer);
            command.Parameters.AddWithValue("$subject", entry.Subject);
            command.Parameters.AddWithValue("$target", entry.Target);
            command.Parameters.AddWithValue("$kind", entry.Kind);
            command.Parameters.AddWithValue("$started", entry.StartedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$ended", entry.EndedAt is { } ended ? ended.ToUnixTimeMilliseconds() : DBNull.Value);
            command.Parameters.AddWithValue("$size", entry.SizeBytes);
            command.Parameters.AddWithValue("$exit", entry.ExitCode is { } code ? code : DBNull.Value);
            command.Parameters.AddWithValue("$reason", (object?)entry.EndReason ?? DBNull.Value);
            command.Parameters.AddWithValue("$commands", entry.Counts.Commands);
            command.Parameters.AddWithValue("$allowed", entry.Counts.Allowed);
            command.Parameters.AddWithValue("$denied", entry.Counts.Denied);
            command.Parameters.AddWithValue("$review", entry.Counts.Review);
            command.Parameters.AddWithValue("$approvals", entry.Counts.Approvals);
            command.Parameters.AddWithValue("$records", entry.Seal is { } seal ? seal.RecordCount : DBNull.Value);
            command.Parameters.AddWithValue("$hash", (object?)entry.Seal?.ChainHash ?? DBNull.Value);
            command.Parameters.AddWithValue("$missing", entry.MissingSince is { } missing ? missing.ToUnixTimeMilliseconds() : DBNull.Value);
            command.ExecuteNonQuery();
        }
    }

    public RecordingIndexEntry? Get(string sessionId) =>
        Query("session_id = $id", [("$id", sessionId)], 1).FirstOrDefault();

    public IReadOnlyList<RecordingIndexEntry> List(RecordingQuery query)
    {
        var conditions = new List<string>();
        var parameters = new List<(string, object)>();
        if (!string.IsNullOrEmpty(query.Subject))
        {
            conditions.Add("subject = $subject");
            parameters.Add(("$subject", query.Subject));
        }

        if (!string.IsNullOrEmpty(query.Target))
        {
            conditions.Add("target = $target");
            parameters.Add(("$target", query.Target));
        }

        if (query.StartedFrom is { } from)
        {
            conditions.Add("started_at >= $from");
            parameters.Add(("$from", from.ToUnixTimeMilliseconds()));
        }

        if (query.StartedBefore is { } before)
        {
            conditions.Add("started_at < $before");
            parameters.Add(("$before", before.ToUnixTimeMilliseconds()));
        }

        if (query.HasDenied)
        {
            conditions.Add("denied > 0");
        }

        if (query.HasApproval)
        {
            conditions.Add("(review > 0 OR approvals > 0)");
        }

        return Query(conditions.Count == 0 ? "1 = 1" : string.Join(" AND ", conditions), parameters, query.Limit);
    }

    public IReadOnlyList<RecordingIndexEntry> EndedBefore(DateTimeOffset cutoff) =>
        Query("ended_at IS NOT NULL AND started_at < $cutoff", [("$cutoff", cutoff.ToUnixTimeMilliseconds())], int.MaxValue);

    public IReadOnlyList<RecordingIndexEntry> Unended() => Query("ended_at IS NULL", [], int.MaxValue);

    public IReadOnlySet<string> SessionIds()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT session_id FROM recordings";
            using var reader = command.ExecuteReader();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }
    }

    public void Remove(string sessionId)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "DELETE FROM recordings WHERE session_id = $id";
            command.Parameters.AddWithValue("$id", sessionId);
            command.ExecuteNonQuery();
        }
    }

    public void Dispose() => _connection.Dispose();

    private List<RecordingIndexEntry> Query(string where, IEnumerable<(string Name, object Value)> parameters, int limit)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM recordings WHERE {where} ORDER BY started_at DESC, session_id DESC LIMIT $limit";
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            var rows = new List<RecordingIndexEntry>();
            while (reader.Read())
            {
                rows.Add(new RecordingIndexEntry
                {
                    SessionId = reader.GetString(0),
                    Location = reader.GetString(1),
                    Issuer = reader.GetString(2),
                    Subject = reader.GetString(3),
                    Target = reader.GetString(4),
                    Kind = reader.GetString(5),
                    StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                    EndedAt = reader.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
                    SizeBytes = reader.GetInt64(8),
                    ExitCode = reader.IsDBNull(9) ? null : reader.GetInt32(9),
                    EndReason = reader.IsDBNull(10) ? null : reader.GetString(10),
                    Counts = new RecordingCounts(reader.GetInt32(11), reader.GetInt32(12), reader.GetInt32(13), reader.GetInt32(14), reader.GetInt32(15)),
                    Seal = reader.IsDBNull(16) || reader.IsDBNull(17) ? null : new IndexedSeal(reader.GetInt64(16), reader.GetString(17), reader.GetInt64(8)),
                    MissingSince = reader.IsDBNull(18) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(18)),
                });
            }

            return rows;
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
