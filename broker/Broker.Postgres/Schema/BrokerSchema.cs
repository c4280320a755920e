using Broker.Approvals;

namespace Broker.Postgres;

/// <summary>
/// Every migration of the broker's PostgreSQL schema, in order. A new table or column is a new entry at the end;
/// a shipped entry never changes, because replicas that already applied it would not apply it again.
/// </summary>
public static class BrokerSchema
{
    /// <summary>The migrations, versions 1 to <see cref="Migration.Version"/> of the last one.</summary>
    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new(1, "approval requests", ApprovalColumns.Schema),
        new(2, "replicas and the sessions they hold", ReplicaSchema.Tables),
        new(3, "a notification on every change to an approval request", ApprovalNotifications.Trigger),
        new(4, "the recording index and the recordings' public keys", RecordingSchema.Tables),
        new(5, "audit events, and the instance holding each replica id", AuditSchema.Tables),
        new(6, "the kind, roles and terminal size of live sessions", ReplicaSchema.SessionDetails),
    ];
}
