using System.Text.Encodings.Web;
using System.Text.Json;

namespace Broker.Approvals;

/// <summary>The JSON body of a webhook delivery (docs/approvals.md shows one).</summary>
internal static class WebhookPayload
{
    /// <summary>The body for <paramref name="approvalEvent"/>, delivery <paramref name="deliveryId"/>.</summary>
    public static byte[] Build(ApprovalEvent approvalEvent, string deliveryId)
    {
        ArgumentNullException.ThrowIfNull(approvalEvent);
        var r = approvalEvent.Request;
        using var stream = new MemoryStream();
        // The default encoder escapes <, >, & and non-ASCII too: a receiver that pastes a field into HTML stays safe.
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
        {
            json.WriteStartObject();
            json.WriteString("event", approvalEvent.Name);
            json.WriteString("delivery", deliveryId);
            json.WriteStartObject("approval");
            json.WriteString("id", r.Id);
            json.WriteString("state", r.State.Name());
            json.WriteString("session", r.SessionId);
            json.WriteString("target", r.Target);
            json.WriteString("role", r.Role);
            json.WriteStartObject("requester");
            json.WriteString("issuer", r.Requester.Issuer);
            json.WriteString("sub", r.Requester.Subject);
            json.WriteEndObject();
            json.WriteString("command", r.Command);
            json.WriteString("command_visible", VisibleCommand.Render(r.Command));
            json.WriteString("binding", r.Binding);
            json.WriteString("rule", r.RuleId);
            json.WriteString("reason", r.Reason);
            Strings(json, "programs", r.Programs);
            Strings(json, "aws_actions", r.AwsActions);
            json.WriteString("created_at", r.CreatedAt);
            json.WriteString("expires_at", r.ExpiresAt);
            if (r.StateReason is { } why)
            {
                json.WriteString("state_reason", why);
            }

            json.WriteStartArray("decisions");
            foreach (var d in r.Decisions)
            {
                json.WriteStartObject();
                json.WriteString("sub", d.Approver.Subject);
                json.WriteString("issuer", d.Approver.Issuer);
                json.WriteBoolean("approved", d.Approved);
                json.WriteString("reason", d.Reason);
                json.WriteString("at", d.At);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString("text", ChatText.Format(approvalEvent));
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void Strings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
