using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Recorder.Format;

/// <summary>The header frame's body: one UTF-8 JSON object.</summary>
internal static class HeaderCodec
{
    public const int FormatVersion = 1;

    public static byte[] Encode(RecordingHeader header)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("format", FormatVersion);
            json.WriteString("sessionId", header.SessionId);
            json.WriteString("subject", header.Subject);
            json.WriteString("issuer", header.Issuer);
            json.WriteStartArray("roles");
            foreach (var role in header.Roles)
            {
                json.WriteStringValue(role);
            }

            json.WriteEndArray();
            json.WriteString("target", header.Target);
            json.WriteString("kind", header.Kind);
            json.WriteNumber("columns", header.Columns);
            json.WriteNumber("rows", header.Rows);
            json.WriteString("term", header.Term);
            json.WriteString("brokerVersion", header.BrokerVersion);
            json.WriteString("startedAt", header.StartedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("signingKeyId", header.SigningKeyId);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a header; null when the body is not a valid header of a version this reader knows.</summary>
    public static RecordingHeader? TryDecode(ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var format = root.GetProperty("format").GetInt32();
            if (format != FormatVersion)
            {
                error = $"format version {format} is not supported (this reader knows {FormatVersion})";
                return null;
            }

            return new RecordingHeader
            {
                SessionId = root.GetProperty("sessionId").GetString() ?? "",
                Subject = root.GetProperty("subject").GetString() ?? "",
                Issuer = root.GetProperty("issuer").GetString() ?? "",
                Roles = [.. root.GetProperty("roles").EnumerateArray().Select(r => r.GetString() ?? "")],
                Target = root.GetProperty("target").GetString() ?? "",
                Kind = root.GetProperty("kind").GetString() ?? "",
                Columns = root.GetProperty("columns").GetInt32(),
                Rows = root.GetProperty("rows").GetInt32(),
                Term = root.GetProperty("term").GetString() ?? "",
                BrokerVersion = root.GetProperty("brokerVersion").GetString() ?? "",
                StartedAt = DateTimeOffset.Parse(root.GetProperty("startedAt").GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                SigningKeyId = root.GetProperty("signingKeyId").GetString() ?? "",
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            error = $"the header is not valid: {e.Message}";
            return null;
        }
    }
}
