using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace Broker.Server.Mcp;

/// <summary>
/// Tool results as agents read them: the structured content, plus a short text summary for clients that show only
/// text. Expected failures (a refused target, an unknown shell) are error results with the reason, not exceptions.
/// </summary>
internal static class McpResults
{
    public static CallToolResult Of<T>(T value, string summary) => new()
    {
        Content = [new TextContentBlock { Text = summary }],
        StructuredContent = JsonSerializer.SerializeToElement(value, McpJson.Options),
    };

    public static CallToolResult Error(string message) => new()
    {
        Content = [new TextContentBlock { Text = message }],
        IsError = true,
    };

    /// <summary>The refusal for a tool call whose message carries no authenticated caller.</summary>
    public static CallToolResult Unauthenticated() => Error("the call is not authenticated: a bearer token is required (authorization: Bearer <JWT>)");
}
