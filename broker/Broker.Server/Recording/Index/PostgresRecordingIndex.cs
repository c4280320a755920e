using Npgsql;

namespace Broker.Server.Recording;

/// <summary>
/// The recording index in the replicas' shared PostgreSQL database (migration 4), so that any replica lists, finds,
/// and expires every replica's recordings. Rows, filters and order are those of <see cref="SqliteRecordingIndex"/>
/// (<see cref="RecordingColumns"/>, <see cref="RecordingFilter"/>). Each row also names the replica that wrote it:
/// the reads that drive the start-up repair (<see cref="Unended"/>, <see cref="SessionIds"/>) return this replica's
/// rows only, because another replica's unended row is a session that may well still run there, and its file is on
/// that replica's disk.
/// </summary>
/// <remarks>
/// <see cref="IRecordingIndex"/> is synchronous (the embedded index is a local file), so the calls here use Npgsql's
/// synchronous API on a pooled connection: a row changes when a session starts and when it ends.
/// </remarks>
internal sealed class PostgresRecordingIndex(NpgsqlDataSource database, string replicaId) : IRecordingIndex
{
    public void Upsert(RecordingIndexEntry entry)
    {
        using var command = database.CreateCommand(
            $"INSERT INTO recordings ({RecordingColumns.Names}, replica) VALUES ({RecordingColumns.Parameters}, @replica) "
            + $"ON CONFLICT (session_id) DO UPDATE SET {RecordingColumns.Replacements}, replica = excluded.replica");
        RecordingColumns.Bind(command, entry);
        RecordingColumns.Add(command, "@replica", replicaId);
        command.ExecuteNonQuery();
    }

    public RecordingIndexEntry? Get(string sessionId) => Query(RecordingFilter.ById(sessionId), 1).FirstOrDefault();

    public IReadOnlyList<RecordingIndexEntry> List(RecordingQuery query) => Query(RecordingFilter.Of(query), query.Limit);

    public IReadOnlyList<RecordingIndexEntry> EndedBefore(DateTimeOffset cutoff) => Query(RecordingFilter.EndedBefore(cutoff), int.MaxValue);

    public IReadOnlyList<RecordingIndexEntry> Unended() => Query(RecordingFilter.Unended.And("replica", replicaId), int.MaxValue);

    public IReadOnlySet<string> SessionIds()
    {
        using var command = database.CreateCommand();
        return RecordingColumns.SelectIds(command, RecordingFilter.All.And("replica", replicaId));
    }

    public void Remove(string sessionId)
    {
        using var command = database.CreateCommand("DELETE FROM recordings WHERE session_id = @id");
        RecordingColumns.Add(command, "@id", sessionId);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The newest <paramref name="limit"/> ended sessions of every replica (of one owner when <paramref name="owner"/> is
    /// given), each with the replica that held it: what <c>sessions list --all</c> shows on any replica.
    /// </summary>
    public IReadOnlyList<(RecordingIndexEntry Entry, string Replica)> Ended((string Issuer, string Subject)? owner, int limit)
    {
        using var command = database.CreateCommand(
            $"SELECT {RecordingColumns.Names}, replica FROM recordings WHERE ended_at IS NOT NULL"
            + (owner is null ? string.Empty : " AND issuer = @issuer AND subject = @subject")
            + $" {RecordingColumns.Order} LIMIT @limit");
        if (owner is { } o)
        {
            RecordingColumns.Add(command, "@issuer", o.Issuer);
            RecordingColumns.Add(command, "@subject", o.Subject);
        }

        RecordingColumns.Add(command, "@limit", limit);
        using var reader = command.ExecuteReader();
        var rows = new List<(RecordingIndexEntry, string)>();
        var replica = reader.GetOrdinal("replica");
        while (reader.Read())
        {
            rows.Add((RecordingColumns.Read(reader), reader.GetString(replica)));
        }

        return rows;
    }

    private List<RecordingIndexEntry> Query(RecordingFilter filter, int limit)
    {
        using var command = database.CreateCommand();
        return RecordingColumns.Select(command, filter, limit);
    }
}
