using System.Globalization;
using Broker.Approvals;
using Broker.Core.Sessions;
using Recorder;
using ApprovalEvent = Broker.Approvals.ApprovalEvent;
using ApprovalEventKind = Broker.Approvals.ApprovalEventKind;

namespace Broker.Server.Audit;

/// <summary>
/// The audit events, as projections of what the broker already decided and recorded: the recording's header and its
/// command records (masked by the journal before they get here), the approval coordinator's changes, an operator's
/// terminate, a forward assertion's check. Only facts the broker decided go in; no raw input does.
/// </summary>
internal static class AuditProjection
{
    /// <summary>A session's recording started.</summary>
    public static AuditEvent Opened(RecordingHeader header) => new()
    {
        Kind = AuditEventKind.SessionOpened,
        SessionId = header.SessionId,
        ActorIssuer = header.Issuer,
        ActorSubject = header.Subject,
        Fields = Fields(("target", header.Target), ("kind", header.Kind), ("roles", string.Join(",", header.Roles))),
    };

    /// <summary>A command the policy decided; <paramref name="command"/> is the masked record the recording holds.</summary>
    public static AuditEvent Command(RecordingHeader header, long sequence, CommandRecord command) => new()
    {
        Kind = AuditEventKind.CommandDecided,
        SessionId = header.SessionId,
        ActorIssuer = header.Issuer,
        ActorSubject = header.Subject,
        Decision = command.Decision,
        Fields = Fields(
            ("sequence", sequence.ToString(CultureInfo.InvariantCulture)),
            ("text", command.Text),
            ("rule", command.RuleId ?? string.Empty),
            ("reason", command.Reason ?? string.Empty)),
    };

    /// <summary>A session ended.</summary>
    public static AuditEvent Ended(RecordingHeader header, SessionEvent.Ended ended) => new()
    {
        Kind = AuditEventKind.SessionEnded,
        SessionId = header.SessionId,
        ActorIssuer = header.Issuer,
        ActorSubject = header.Subject,
        Fields = Fields(
            ("exit_code", ended.Code.ToString(CultureInfo.InvariantCulture)),
            ("signal", ended.Signal.ToString(CultureInfo.InvariantCulture)),
            ("reason", ended.Reason.ToString())),
    };

    /// <summary>A session terminated by <paramref name="issuer"/>/<paramref name="subject"/>, with their (neutralized) reason.</summary>
    public static AuditEvent Terminated(string sessionId, string issuer, string subject, string reason) => new()
    {
        Kind = AuditEventKind.SessionTerminated,
        SessionId = sessionId,
        ActorIssuer = issuer,
        ActorSubject = subject,
        Fields = Fields(("reason", reason)),
    };

    /// <summary>A forwarded call admitted for the caller it carries, or refused (<paramref name="refusal"/>).</summary>
    public static AuditEvent Forward(string method, string sessionId, string forwardedBy, string issuer, string subject, string? refusal) => new()
    {
        Kind = refusal is null ? AuditEventKind.ForwardAdmitted : AuditEventKind.ForwardRefused,
        SessionId = sessionId,
        ActorIssuer = issuer,
        ActorSubject = subject,
        Fields = refusal is null
            ? Fields(("method", method), ("forwarded_by", forwardedBy))
            : Fields(("method", method), ("forwarded_by", forwardedBy), ("refusal", refusal)),
    };

    /// <summary>
    /// The event of an approval change made on this broker, or null for a change the audit does not list (an approved
    /// command that ran: its session's command events say so).
    /// </summary>
    public static AuditEvent? Approval(ApprovalEvent change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var request = change.Request;
        if (change.Kind == ApprovalEventKind.Requested)
        {
            return new AuditEvent
            {
                Kind = AuditEventKind.ApprovalRequested,
                SessionId = request.SessionId,
                ActorIssuer = request.Requester.Issuer,
                ActorSubject = request.Requester.Subject,
                Decision = "pending",
                Fields = Fields(("approval_id", request.Id), ("target", request.Target), ("role", request.Role), ("rule", request.RuleId ?? string.Empty),
                    ("expires_at", request.ExpiresAt.ToString("O", CultureInfo.InvariantCulture))),
            };
        }

        if (change.Kind == ApprovalEventKind.Executed)
        {
            return null;
        }

        // An approver's decision names the approver; an expiry or a withdrawal is the broker's (or the requester's).
        var decision = change.Kind is ApprovalEventKind.ApprovalCounted or ApprovalEventKind.Approved or ApprovalEventKind.Denied ? (request.Decisions.Count > 0 ? request.Decisions[^1] : null) : null;
        var actor = decision?.Approver ?? (change.Kind == ApprovalEventKind.Withdrawn ? request.Requester : null);
        return new AuditEvent
        {
            Kind = AuditEventKind.ApprovalDecided,
            SessionId = request.SessionId,
            ActorIssuer = actor?.Issuer ?? string.Empty,
            ActorSubject = actor?.Subject ?? string.Empty,
            Decision = change.Kind switch
            {
                ApprovalEventKind.ApprovalCounted => "approval_counted",
                ApprovalEventKind.Approved => "approved",
                ApprovalEventKind.Denied => "denied",
                ApprovalEventKind.Expired => "expired",
                _ => "withdrawn",
            },
            Fields = Fields(("approval_id", request.Id), ("approvals", request.Approvals.Count().ToString(CultureInfo.InvariantCulture)),
                ("groups", decision is null ? string.Empty : string.Join(",", decision.Groups))),
        };
    }

    private static Dictionary<string, string> Fields(params (string Name, string Value)[] fields) =>
        fields.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
}
