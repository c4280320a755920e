using System.Net;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Broker.Integration.Tests.Mcp;

/// <summary>
/// The C# MCP SDK's client on the broker's <c>/mcp</c>, over streamable HTTP. The test broker listens h2c (HTTP/2
/// with prior knowledge, as gRPC clients speak it), so every request is sent as HTTP/2.
/// </summary>
internal static class McpConnection
{
    public static async Task<McpClient> ConnectAsync(Uri broker, string? token, CancellationToken cancellationToken)
    {
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions
            {
                Endpoint = new Uri(broker, "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = token is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
            },
            Http2Client(),
            ownsHttpClient: true);
        return await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
    }

    /// <summary>An HTTP client whose every request is HTTP/2 with prior knowledge.</summary>
    public static HttpClient Http2Client() => new(new Http2Only(new SocketsHttpHandler()));

    /// <summary>Calls <paramref name="tool"/> and returns its result; a tool error is returned too (IsError), not thrown.</summary>
    public static async Task<CallToolResult> CallAsync(this McpClient client, string tool, object arguments, CancellationToken cancellationToken, IProgress<ModelContextProtocol.ProgressNotificationValue>? progress = null)
    {
        var args = JsonSerializer.SerializeToElement(arguments).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        return await client.CallToolAsync(tool, args, progress, cancellationToken: cancellationToken);
    }

    /// <summary>The structured result's property <paramref name="name"/>.</summary>
    public static JsonElement Field(this CallToolResult result, string name)
    {
        result.IsError.Should().NotBe(true, "the call should succeed: {0}", Text(result));
        return Structured(result).GetProperty(name);
    }

    public static JsonElement Structured(this CallToolResult result) => JsonSerializer.SerializeToElement(result.StructuredContent);

    public static string Text(this CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private sealed class Http2Only(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
