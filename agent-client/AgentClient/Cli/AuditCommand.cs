using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Recorder;

namespace AgentClient.Cli;

/// <summary>
/// <c>audit list</c>: the broker's audit log, oldest first, for observers and operators: a table, or one JSON object per
/// line with <c>--json</c>. Every text field is shown neutralized in the table (the JSON escapes control characters).
/// </summary>
internal static class AuditCommand
{
    private static readonly string[] Kinds =
        ["session.opened", "command.decided", "approval.requested", "approval.decided", "session.terminated", "session.ended", "forward.admitted", "forward.refused", "audit.dropped"];

    public static Command Create(ClientOptions client)
    {
        var since = TimeOption("--since", "Events at or after this time: an RFC 3339 time (2026-12-06T09:00:00Z) or an age (90s, 15m, 2h, 7d)");
        var until = TimeOption("--until", "Events before this time (same forms as --since)");
        var session = new Option<string?>("--session") { Description = "Only events about this session" };
        var subject = new Option<string?>("--subject") { Description = "Only events whose actor has this token subject" };
        var kind = new Option<string?>("--kind") { Description = $"Only events of this kind: {string.Join(", ", Kinds)}" };
        kind.AcceptOnlyFromAmong(Kinds);
        var decision = new Option<string?>("--decision") { Description = "Only events with this decision or outcome (allow, deny, review, approved, denied, expired, withdrawn)" };
        var limit = new Option<uint>("--limit") { Description = "At most this many (default: all)" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line instead of a table" };
        var list = new Command("list", "List audit events, oldest first: sessions opened and ended, commands decided (masked), approvals, terminations, forwarded calls")
        {
            since, until, session, subject, kind, decision, limit, json,
        };
        list.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var request = new ListAuditEventsRequest
            {
                SessionId = parse.GetValue(session) ?? string.Empty,
                Subject = parse.GetValue(subject) ?? string.Empty,
                Kind = parse.GetValue(kind) is { } named ? (AuditEventKind)(Array.IndexOf(Kinds, named) + 1) : AuditEventKind.Unspecified,
                Decision = parse.GetValue(decision) ?? string.Empty,
                Limit = parse.GetValue(limit),
            };
            if (parse.GetValue(since) is { } from)
            {
                request.Since = Timestamp.FromDateTimeOffset(from);
            }

            if (parse.GetValue(until) is { } to)
            {
                request.Until = Timestamp.FromDateTimeOffset(to);
            }

            var asJson = parse.GetValue(json);
            var output = StandardStreams.Out;
            if (!asJson)
            {
                output.WriteLine($"{"TIME",-23} {"REPLICA",-12} {"KIND",-18} {"SESSION",-36} {"ACTOR",-20} {"DECISION",-16} FIELDS");
            }

            using var call = new AuditService.AuditServiceClient(broker.Connection.Channel).ListAuditEvents(request, cancellationToken: ct);
            await foreach (var response in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                output.WriteLine(asJson ? Json(response.Event) : Row(response.Event));
            }

            return 0;
        }, ct));
        return new Command("audit", "Read the audit log (observers and operators)") { list };
    }

    private static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (ParseTime(text, DateTimeOffset.UtcNow) is { } time)
            {
                return time;
            }

            result.AddError($"{name} takes an RFC 3339 time (2026-12-06T09:00:00Z) or an age (90s, 15m, 2h, 7d), not '{text}'");
            return null;
        },
    };

    /// <summary>An RFC 3339 time, or an age before <paramref name="now"/> (a number and s, m, h or d); null when neither.</summary>
    internal static DateTimeOffset? ParseTime(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && "smhd".Contains(text[^1], StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= 365L * 24 * 3600)
        {
            return now - text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) && text.Contains('T', StringComparison.Ordinal) ? time : null;
    }

    private static string Name(AuditEventKind kind) => kind is > AuditEventKind.Unspecified and <= AuditEventKind.EventsDropped ? Kinds[(int)kind - 1] : "unknown";

    private static string Row(AuditEvent e)
    {
        var fields = string.Join(" ", e.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={UntrustedText.Neutralize(f.Value)}"));
        var actor = e.ActorSubject.Length == 0 ? "-" : UntrustedText.Neutralize(e.ActorSubject);
        var session = e.SessionId.Length == 0 ? "-" : UntrustedText.Neutralize(e.SessionId);
        var decision = e.Decision.Length == 0 ? "-" : UntrustedText.Neutralize(e.Decision);
        return $"{e.At.ToDateTimeOffset():yyyy-MM-dd HH:mm:ss.fff} {UntrustedText.Neutralize(e.ReplicaId),-12} {Name(e.Kind),-18} {session,-36} {actor,-20} {decision,-16} {fields}";
    }

    private static string Json(AuditEvent e)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", e.Id);
            writer.WriteString("at", e.At.ToDateTimeOffset().ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("replica", e.ReplicaId);
            writer.WriteString("kind", Name(e.Kind));
            writer.WriteString("session_id", e.SessionId);
            writer.WriteString("actor_issuer", e.ActorIssuer);
            writer.WriteString("actor_subject", e.ActorSubject);
            writer.WriteString("decision", e.Decision);
            writer.WriteStartObject("fields");
            foreach (var (name, value) in e.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
