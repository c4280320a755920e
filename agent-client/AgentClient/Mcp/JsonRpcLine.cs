using System.Buffers;
using System.Text.Json;

namespace AgentClient.Mcp;

/// <summary>
/// The little the relay reads of a client message: whether it is a request and its id, so that a call the broker
/// refused can be answered with a JSON-RPC error instead of leaving the MCP client waiting. Read with
/// <see cref="JsonDocument"/> and written with <see cref="Utf8JsonWriter"/>: no reflection, so Native AOT holds.
/// </summary>
internal static class JsonRpcLine
{
    /// <summary>The JSON-RPC "internal error" code, for a message the broker could not take.</summary>
    private const int InternalError = -32603;

    /// <summary>The raw JSON of a request's id, or null for a notification, a response or text that is not JSON.</summary>
    public static byte[]? RequestId(ReadOnlyMemory<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("method", out _) && root.TryGetProperty("id", out var id)
                ? System.Text.Encoding.UTF8.GetBytes(id.GetRawText())
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON-RPC error response to the request with <paramref name="id"/>, on one line.</summary>
    public static byte[] Error(byte[] id, string message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            writer.WriteRawValue(id, skipInputValidation: true);
            writer.WriteStartObject("error");
            writer.WriteNumber("code", InternalError);
            writer.WriteString("message", message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
