namespace Broker.Server.Audit;

/// <summary>
/// The append-only audit log: in the data directory (<see cref="SqliteAuditLog"/>) or shared by replicas
/// (<see cref="PostgresAuditLog"/>), where every replica reads every replica's events. Rows are never updated; the
/// retention sweep deletes the old ones.
/// </summary>
internal interface IAuditLog
{
    /// <summary>Appends <paramref name="events"/> in one transaction.</summary>
    Task AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken);

    /// <summary>The events <paramref name="query"/> selects, oldest first (time, then id).</summary>
    Task<IReadOnlyList<AuditEvent>> ListAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes the events older than <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}
