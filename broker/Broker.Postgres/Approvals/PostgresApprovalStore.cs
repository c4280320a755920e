using Broker.Approvals;
using Npgsql;

namespace Broker.Postgres;

/// <summary>
/// Approval requests in PostgreSQL, shared by every replica. The rows, queries and compare-and-swap are those of the
/// embedded SQLite store (<see cref="ApprovalColumns"/>, <see cref="ApprovalFilter"/>): a decision is an
/// <c>UPDATE … WHERE version = …</c>, which PostgreSQL's row locking makes atomic across replicas, so two approvers on
/// two replicas cannot both win. Each call takes a pooled connection; the schema comes from <see cref="SchemaMigrator"/>.
/// </summary>
public sealed class PostgresApprovalStore : IApprovalStore
{
    private readonly NpgsqlDataSource _database;

    /// <summary>A store over <paramref name="database"/>, whose schema is already migrated.</summary>
    public PostgresApprovalStore(NpgsqlDataSource database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <inheritdoc />
    public async Task InsertAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var command = _database.CreateCommand($"INSERT INTO approval_requests ({ApprovalColumns.Names}) VALUES ({ApprovalColumns.Parameters})");
        ApprovalColumns.Bind(command, request);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync(ApprovalFilter.ById(id), 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalQuery query, CancellationToken cancellationToken) =>
        await QueryAsync(ApprovalFilter.Of(query), query.Limit, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<bool> TryReplaceAsync(ApprovalRequest updated, long expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updated);
        await using var command = _database.CreateCommand($"UPDATE approval_requests SET {ApprovalColumns.Assignments} WHERE id = @id AND version = @expected");
        ApprovalColumns.Bind(command, updated);
        command.Parameters.AddWithValue("expected", expectedVersion);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private async Task<List<ApprovalRequest>> QueryAsync(ApprovalFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand($"SELECT {ApprovalColumns.Names} FROM approval_requests WHERE {filter.Condition} ORDER BY created_at DESC, id DESC LIMIT @limit");
        for (var i = 0; i < filter.Values.Count; i++)
        {
            command.Parameters.AddWithValue($"p{i}", filter.Values[i]);
        }

        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<ApprovalRequest>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(ApprovalColumns.Read(reader));
        }

        return rows;
    }
}
