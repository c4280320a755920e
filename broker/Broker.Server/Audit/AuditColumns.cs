using System.Data.Common;
using System.Text;
using System.Text.Json;
using Broker.Server.Recording;

namespace Broker.Server.Audit;

/// <summary>
/// The one definition of the audit table's columns, its insert, its row reader, its filters and its order, used by both
/// stores (SQLite and PostgreSQL), so that they cannot drift apart. Times are Unix milliseconds; the fields are one
/// JSON object of strings.
/// </summary>
internal static class AuditColumns
{
    /// <summary>The columns an insert writes, in order.</summary>
    public const string Names = "at, replica, kind, session_id, actor_issuer, actor_subject, decision, fields";

    /// <summary>The columns a read returns: the id first, then <see cref="Names"/>.</summary>
    private const string Selected = "id, " + Names;

    /// <summary>Prepares <paramref name="command"/> to insert every event of <paramref name="events"/> in one statement.</summary>
    public static void Insert(DbCommand command, IReadOnlyList<AuditEvent> events)
    {
        var sql = new StringBuilder($"INSERT INTO audit_events ({Names}) VALUES ");
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            sql.Append(i == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@at{i}, @replica{i}, @kind{i}, @session{i}, @issuer{i}, @subject{i}, @decision{i}, @fields{i})");
            RecordingColumns.Add(command, $"@at{i}", e.At.ToUnixTimeMilliseconds());
            RecordingColumns.Add(command, $"@replica{i}", e.Replica);
            RecordingColumns.Add(command, $"@kind{i}", AuditEvent.NameOf(e.Kind));
            RecordingColumns.Add(command, $"@session{i}", e.SessionId);
            RecordingColumns.Add(command, $"@issuer{i}", e.ActorIssuer);
            RecordingColumns.Add(command, $"@subject{i}", e.ActorSubject);
            RecordingColumns.Add(command, $"@decision{i}", e.Decision);
            RecordingColumns.Add(command, $"@fields{i}", FieldsJson(e.Fields));
        }

        command.CommandText = sql.ToString();
    }

    /// <summary>Prepares <paramref name="command"/> to select what <paramref name="query"/> asks for, oldest first.</summary>
    public static void Select(DbCommand command, AuditQuery query)
    {
        var where = new List<string>();
        void Filter(string condition, string name, object? value)
        {
            if (value is not null)
            {
                where.Add(condition);
                RecordingColumns.Add(command, name, value);
            }
        }

        Filter("at >= @since", "@since", query.Since?.ToUnixTimeMilliseconds());
        Filter("at < @until", "@until", query.Until?.ToUnixTimeMilliseconds());
        Filter("session_id = @session", "@session", Empty(query.SessionId));
        Filter("actor_subject = @subject", "@subject", Empty(query.Subject));
        Filter("kind = @kind", "@kind", query.Kind is { } kind ? AuditEvent.NameOf(kind) : null);
        Filter("decision = @decision", "@decision", Empty(query.Decision));
        if (query.After is { } after)
        {
            where.Add("(at > @after_at OR (at = @after_at AND id > @after_id))");
            RecordingColumns.Add(command, "@after_at", after.At.ToUnixTimeMilliseconds());
            RecordingColumns.Add(command, "@after_id", after.Id);
        }

        RecordingColumns.Add(command, "@limit", query.Limit);
        command.CommandText = $"SELECT {Selected} FROM audit_events{(where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))} ORDER BY at, id LIMIT @limit";
    }

    /// <summary>Prepares <paramref name="command"/> to delete the events before <paramref name="cutoff"/>.</summary>
    public static void DeleteBefore(DbCommand command, DateTimeOffset cutoff)
    {
        command.CommandText = "DELETE FROM audit_events WHERE at < @cutoff";
        RecordingColumns.Add(command, "@cutoff", cutoff.ToUnixTimeMilliseconds());
    }

    /// <summary>Reads the rows a <see cref="Select"/> returns.</summary>
    public static async Task<IReadOnlyList<AuditEvent>> ReadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<AuditEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new AuditEvent
            {
                Id = reader.GetInt64(0),
                At = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                Replica = reader.GetString(2),
                Kind = AuditEvent.KindNamed(reader.GetString(3)) ?? throw new InvalidDataException($"the audit log holds an event of an unknown kind '{reader.GetString(3)}'"),
                SessionId = reader.GetString(4),
                ActorIssuer = reader.GetString(5),
                ActorSubject = reader.GetString(6),
                Decision = reader.GetString(7),
                Fields = ParseFields(reader.GetString(8)),
            });
        }

        return rows;
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string FieldsJson(IReadOnlyDictionary<string, string> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static Dictionary<string, string> ParseFields(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal);
    }
}
