namespace Broker.Postgres;

/// <summary>
/// The notification every change to a request sends (migration 3's trigger) on <see cref="Channel"/>: the writer's
/// <c>application_name</c> (a replica sets it to its id), the request id and its new version, separated by spaces.
/// Sent at commit, so a listener never hears of a change it cannot read yet.
/// </summary>
internal static class ApprovalNotifications
{
    public const string Channel = "broker_approvals";

    public const string Trigger = """
        CREATE FUNCTION broker_approval_changed() RETURNS trigger AS $body$
        BEGIN
          PERFORM pg_notify('broker_approvals', current_setting('application_name') || ' ' || NEW.id || ' ' || NEW.version);
          RETURN NULL;
        END
        $body$ LANGUAGE plpgsql;
        CREATE TRIGGER approval_requests_changed AFTER INSERT OR UPDATE ON approval_requests
          FOR EACH ROW EXECUTE FUNCTION broker_approval_changed();
        """;

    /// <summary>The writer, id and version of a notification's payload, or null for a payload not in that form.</summary>
    public static (string Writer, string Id, long Version)? Parse(string payload)
    {
        // Request ids and versions have no spaces; the writer's name may.
        var last = payload.LastIndexOf(' ');
        var middle = last > 0 ? payload.LastIndexOf(' ', last - 1) : -1;
        if (middle < 0 || !long.TryParse(payload.AsSpan(last + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            return null;
        }

        return (payload[..middle], payload[(middle + 1)..last], version);
    }
}
