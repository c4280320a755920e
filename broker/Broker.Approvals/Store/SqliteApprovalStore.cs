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
        Execute(ApprovalColumns.Schema);
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
        Task.FromResult(Query(ApprovalFilter.ById(id), 1).FirstOrDefault());

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ApprovalRequest>>(Query(ApprovalFilter.Of(query), query.Limit));

    /// <inheritdoc />
    public Task<bool> TryReplaceAsync(ApprovalRequest updated, long expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updated);
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"UPDATE approval_requests SET {ApprovalColumns.Assignments} WHERE id = @id AND version = @expected";
            ApprovalColumns.Bind(command, updated);
            command.Parameters.AddWithValue("@expected", expectedVersion);
            return Task.FromResult(command.ExecuteNonQuery() == 1);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    private List<ApprovalRequest> Query(ApprovalFilter filter, int limit)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT {ApprovalColumns.Names} FROM approval_requests WHERE {filter.Condition} ORDER BY created_at DESC, id DESC LIMIT @limit";
            for (var i = 0; i < filter.Values.Count; i++)
            {
                command.Parameters.AddWithValue($"@p{i}", filter.Values[i]);
            }

            command.Parameters.AddWithValue("@limit", limit);
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
