using Microsoft.Data.Sqlite;

namespace Broker.Server.Audit;

/// <summary>
/// The embedded broker's audit log: <c>audit.db</c> in the data directory, one connection behind a lock (one writer
/// appends batches; reads are an auditor's). Columns and queries are <see cref="AuditColumns"/>'s.
/// </summary>
internal sealed class SqliteAuditLog : IAuditLog, IDisposable
{
    public const string FileName = "audit.db";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SqliteConnection _connection;

    public SqliteAuditLog(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        using var command = _connection.CreateCommand();
        // WAL with synchronous=NORMAL: the writer is off the sessions' path, and a crash loses at most the last commits.
        command.CommandText = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS audit_events (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              at INTEGER NOT NULL,
              replica TEXT NOT NULL,
              kind TEXT NOT NULL,
              session_id TEXT NOT NULL,
              actor_issuer TEXT NOT NULL,
              actor_subject TEXT NOT NULL,
              decision TEXT NOT NULL,
              fields TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events(at, id);
            CREATE INDEX IF NOT EXISTS audit_events_session ON audit_events(session_id);
            """;
        command.ExecuteNonQuery();
    }

    public async Task AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            AuditColumns.Insert(command, events);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<AuditEvent>> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            AuditColumns.Select(command, query);
            return await AuditColumns.ReadAsync(command, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            AuditColumns.DeleteBefore(command, cutoff);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }
}
