namespace Broker.Postgres;

/// <summary>The tables of the replica registry (migration 2).</summary>
internal static class ReplicaSchema
{
    // Times are Unix milliseconds from the replicas' own clocks (as in the approvals table); liveness allows for
    // skew far larger than NTP leaves (ReplicaRegistry.DefaultDeadAfter).
    public const string Tables = """
        CREATE TABLE broker_replicas (
          id TEXT PRIMARY KEY,
          address TEXT NOT NULL,
          started_at BIGINT NOT NULL,
          heartbeat_at BIGINT NOT NULL);
        CREATE TABLE live_sessions (
          id TEXT PRIMARY KEY,
          replica_id TEXT NOT NULL REFERENCES broker_replicas(id) ON DELETE CASCADE,
          owner_issuer TEXT NOT NULL,
          owner_subject TEXT NOT NULL,
          target TEXT NOT NULL,
          started_at BIGINT NOT NULL);
        CREATE INDEX live_sessions_replica ON live_sessions(replica_id);
        CREATE INDEX live_sessions_owner ON live_sessions(owner_issuer, owner_subject);
        """;

    /// <summary>
    /// Migration 6: what a list shows of a session beyond its owner and target, so that a session held by another replica
    /// lists exactly as its holder lists it. Rows written before it read as "not known" (empty kind and roles, size 0).
    /// </summary>
    public const string SessionDetails = """
        ALTER TABLE live_sessions
          ADD COLUMN kind TEXT NOT NULL DEFAULT '',
          ADD COLUMN roles TEXT[] NOT NULL DEFAULT '{}',
          ADD COLUMN term_columns INTEGER NOT NULL DEFAULT 0,
          ADD COLUMN term_rows INTEGER NOT NULL DEFAULT 0;
        """;
}
