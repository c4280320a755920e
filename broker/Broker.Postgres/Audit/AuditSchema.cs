namespace Broker.Postgres;

/// <summary>
/// Migration 5: the audit event log shared by every replica, and the instance id that tells two processes claiming one
/// replica id apart. Events are appended, never updated; <c>id</c> only orders rows written in the same millisecond.
/// Times are Unix milliseconds, as in the other tables.
/// </summary>
internal static class AuditSchema
{
    /// <summary>The table, its indexes, and the replicas' instance column.</summary>
    public const string Tables = """
        CREATE TABLE audit_events (
          id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          at BIGINT NOT NULL,
          replica TEXT NOT NULL,
          kind TEXT NOT NULL,
          session_id TEXT NOT NULL,
          actor_issuer TEXT NOT NULL,
          actor_subject TEXT NOT NULL,
          decision TEXT NOT NULL,
          fields TEXT NOT NULL);
        CREATE INDEX audit_events_at ON audit_events(at, id);
        CREATE INDEX audit_events_session ON audit_events(session_id);
        ALTER TABLE broker_replicas ADD COLUMN instance TEXT NOT NULL DEFAULT '';
        """;
}
