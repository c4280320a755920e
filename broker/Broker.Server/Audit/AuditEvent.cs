namespace Broker.Server.Audit;

/// <summary>What an audit event records.</summary>
internal enum AuditEventKind
{
    /// <summary>A session's recording started: its target, kind and roles.</summary>
    SessionOpened,

    /// <summary>The policy decided a command (its text masked as the recording masks it).</summary>
    CommandDecided,

    /// <summary>A command was held and an approval requested.</summary>
    ApprovalRequested,

    /// <summary>An approval request was decided: an approval counted, approved, denied, expired or withdrawn.</summary>
    ApprovalDecided,

    /// <summary>An operator (or the session's owner) terminated a session.</summary>
    SessionTerminated,

    /// <summary>A session ended: its exit code and why.</summary>
    SessionEnded,

    /// <summary>A call forwarded by another replica was admitted.</summary>
    ForwardAdmitted,

    /// <summary>A forwarded call was refused.</summary>
    ForwardRefused,

    /// <summary>Events were dropped because the writer's queue was full (the store was slow or down): how many.</summary>
    EventsDropped,
}

/// <summary>
/// One row of the audit log: when, on which replica, what, about which session, by whom, and the event's own fields.
/// Every text in it is what the broker decided or masked, never raw input: a command's text is the masked text the
/// recording holds.
/// </summary>
internal sealed record AuditEvent
{
    /// <summary>The store's id (0 before it is stored): orders the events of one millisecond.</summary>
    public long Id { get; init; }

    /// <summary>When it happened (stamped when posted).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The replica that wrote it (the embedded broker: its host name).</summary>
    public string Replica { get; init; } = string.Empty;

    /// <summary>What happened.</summary>
    public required AuditEventKind Kind { get; init; }

    /// <summary>The session it is about; empty when none.</summary>
    public string SessionId { get; init; } = string.Empty;

    /// <summary>The token issuer of who acted (the session's owner, the approver, the operator); empty when the broker acted.</summary>
    public string ActorIssuer { get; init; } = string.Empty;

    /// <summary>The subject of who acted.</summary>
    public string ActorSubject { get; init; } = string.Empty;

    /// <summary>The decision or outcome (allow, deny, review; approved, denied…); empty when the event has none.</summary>
    public string Decision { get; init; } = string.Empty;

    /// <summary>The event's own fields (target, rule, sequence, text, exit code…), by name.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The name of <paramref name="kind"/> in the store, the protocol and the CLI (<c>session.opened</c>, …).</summary>
    public static string NameOf(AuditEventKind kind) => kind switch
    {
        AuditEventKind.SessionOpened => "session.opened",
        AuditEventKind.CommandDecided => "command.decided",
        AuditEventKind.ApprovalRequested => "approval.requested",
        AuditEventKind.ApprovalDecided => "approval.decided",
        AuditEventKind.SessionTerminated => "session.terminated",
        AuditEventKind.SessionEnded => "session.ended",
        AuditEventKind.ForwardAdmitted => "forward.admitted",
        AuditEventKind.ForwardRefused => "forward.refused",
        _ => "audit.dropped",
    };

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public static AuditEventKind? KindNamed(string name) =>
        Enum.GetValues<AuditEventKind>().Select(k => (AuditEventKind?)k).FirstOrDefault(k => NameOf(k!.Value) == name);
}
