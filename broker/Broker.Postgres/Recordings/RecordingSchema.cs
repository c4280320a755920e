namespace Broker.Postgres;

/// <summary>
/// The recording index shared by every replica, and the public keys that signed the recordings. The index has the
/// columns of the embedded SQLite index (the broker's <c>RecordingColumns</c> reads and writes both), plus the replica
/// that made each recording: only that replica repairs the row at its start, because only it has the file and knows
/// whether its session still runs. Times are Unix milliseconds, as in the embedded index.
/// </summary>
internal static class RecordingSchema
{
    /// <summary>Migration 4: the tables and their indexes.</summary>
    public const string Tables = """
        CREATE TABLE recordings (
          session_id TEXT PRIMARY KEY,
          location TEXT NOT NULL,
          issuer TEXT NOT NULL,
          subject TEXT NOT NULL,
          target TEXT NOT NULL,
          kind TEXT NOT NULL,
          started_at BIGINT NOT NULL,
          ended_at BIGINT NULL,
          size_bytes BIGINT NOT NULL,
          exit_code INTEGER NULL,
          end_reason TEXT NULL,
          commands INTEGER NOT NULL,
          allowed INTEGER NOT NULL,
          denied INTEGER NOT NULL,
          review INTEGER NOT NULL,
          approvals INTEGER NOT NULL,
          sealed_records BIGINT NULL,
          sealed_chain_hash TEXT NULL,
          missing_since BIGINT NULL,
          replica TEXT NOT NULL);
        CREATE INDEX recordings_started ON recordings(started_at);
        CREATE INDEX recordings_replica ON recordings(replica) WHERE ended_at IS NULL;
        CREATE TABLE recording_keys (
          key_id TEXT PRIMARY KEY,
          public_key_pem TEXT NOT NULL,
          replica TEXT NOT NULL,
          published_at TIMESTAMPTZ NOT NULL DEFAULT now());
        """;
}
