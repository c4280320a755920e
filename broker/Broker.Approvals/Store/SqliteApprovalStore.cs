using Microsoft.Data.Sqlite;

namespace Broker.Approvals;

/// <summary>
/// Approval requests in an SQLite database in the data directory (<c>approvals.db</c>). Unlike the recording index,
/// which can be rebuilt from files, this is the only copy of who approved what, so every commit is synced to disk
/// (WAL, <c>synchronous=FULL</c>) before a requester is told its command is held. One connection behind a lock:
/// requests change a handful of times each; the version check in <c>UPDATE … WHERE version = …</c> is what makes
/// concurrent decisions safe, here and in the PostgreSQL store.
/// </summary>
public sealed class SqliteApprovalStore : IApprovalStore, IDisposable
{
    /// <summary>The database's file name in the data directory.</summary>
    public const string FileName = "approvals.db";

    private readonly Lock _gate = new();
    private readonly SqliteConnection _connection;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    public SqliteApprovalStore(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS approval_requests (
              id TEXT PRIMARY KEY,
              session_id TEXT NOT NULL,
              target TEXT NOT NULL,
              role TEXT NOT NULL,
              requester_issuer TEXT NOT NULL,
              requester_subject TEXT NOT NULL,
              command TEXT NOT NULL,
              binding TEXT NOT NULL,
              policy_version TEXT NOT NULL,
              rule_id TEXT NULL,
              reason TEXT NOT NULL,
              programs TEXT NOT NULL,
              aws_actions TEXT NOT NULL,
              requirements TEXT NOT NULL,
              created_at BIGINT NOT NULL,
              expires_at BIGINT NOT NULL,
              state TEXT NOT NULL,
              state_reason TEXT NULL,
              decisions TEXT NOT NULL,
              decided_at BIGINT NULL,
              execute_by BIGINT NULL,
              executed_at BIGINT NULL,
              version BIGINT NOT NULL);
            CREATE INDEX IF NOT EXISTS approval_requests_state ON approval_requests(state, expires_at);
            CREATE INDEX IF NOT EXISTS approval_requests_binding ON approval_requests(binding);
            CREATE INDEX IF NOT EXISTS approval_requests_created ON approval_requests(created_at);
            """);
    }

    /// <inheritdoc />
    public Task InsertAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"INSERT INTO approval_requests ({ApprovalColumns.Names}) VALUES ({ApprovalColumns.Parameters})";
            ApprovalColumns.Bind(command, request);
            command.ExecuteNonQuery();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(Query("id = $p0", [id], 1).FirstOrDefault());

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var conditions = new List<string>();
        var values = new List<object>();
        void Where(string column, object? value)
        {
            if (value is not null)
            {
                conditions.Add($"{column} = $p{values.Count}");
                values.Add(value);
            }
        }

        Where("target", query.Target);
        Where("requester_subject", query.RequesterSubject);
        Where("requester_issuer", query.RequesterIssuer);
        Where("session_id", query.SessionId);
        Where("binding", query.Binding);
        if (query.States.Count > 0)
        {
            var names = new List<string>();
            foreach (var state in query.States)
            {
                names.Add($"$p{values.Count}");
                values.Add(state.Name());
            }

            conditions.Add($"state IN ({string.Join(", ", names)})");
        }

        return Task.FromResult<IReadOnlyList<ApprovalRequest>>(Query(conditions.Count == 0 ? "1 = 1" : string.Join(" AND ", conditions), values, query.Limit));
    }

    /// <inheritdoc />
    public Task<bool> TryReplaceAsync(ApprovalRequest updated, long expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updated);
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"UPDATE approval_requests SET {ApprovalColumns.Assignments} WHERE id = $id AND version = $expected";
            ApprovalColumns.Bind(command, updated);
            command.Parameters.AddWithValue("$expected", expectedVersion);
            return Task.FromResult(command.ExecuteNonQuery() == 1);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    private List<ApprovalRequest> Query(string where, List<object> values, int limit)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT {ApprovalColumns.Names} FROM approval_requests WHERE {where} ORDER BY created_at DESC, id DESC LIMIT $limit";
            for (var i = 0; i < values.Count; i++)
            {
                command.Parameters.AddWithValue($"$p{i}", values[i]);
            }

            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            var rows = new List<ApprovalRequest>();
            while (reader.Read())
            {
                rows.Add(ApprovalColumns.Read(reader));
            }

            return rows;
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
