using System.Text.Json;
using System.Text.Json.Serialization;
using ModelContextProtocol;

namespace Broker.Server.Mcp;

/// <summary>How the tools' inputs and results are written: snake_case names, absent values left out.</summary>
internal static class McpJson
{
    public static JsonSerializerOptions Options { get; } = new(McpJsonUtilities.DefaultOptions)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
