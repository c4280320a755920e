using Npgsql;

namespace Broker.Server.Audit;

/// <summary>
/// The audit log in the replicas' shared PostgreSQL database (migration 5, <c>Broker.Postgres/Audit</c>): every replica
/// appends its own events and reads every replica's. Columns and queries are <see cref="AuditColumns"/>'s, as in the
/// embedded <see cref="SqliteAuditLog"/>.
/// </summary>
internal sealed class PostgresAuditLog(NpgsqlDataSource database) : IAuditLog
{
    public async Task AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        await using var command = database.CreateCommand();
        AuditColumns.Insert(command, events);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditEvent>> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand();
        AuditColumns.Select(command, query);
        return await AuditColumns.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand();
        AuditColumns.DeleteBefore(command, cutoff);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
