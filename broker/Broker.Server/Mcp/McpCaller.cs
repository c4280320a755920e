using Broker.Identity.Tokens;
using Broker.Server.Auth;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp;

/// <summary>
/// Who called a tool: the principal on the request's JSON-RPC message, set by whichever transport carried it (the
/// HTTP endpoint from the request's bearer authentication, the gRPC relay from its call's). Never the HTTP context:
/// a relayed message has none.
/// </summary>
internal static class McpCaller
{
    /// <summary>The authenticated caller, or null when the message carries none (a transport that did not authenticate).</summary>
    public static AuthenticatedCaller? Of(RequestContext<CallToolRequestParams> context) => CallerPrincipal.From(context.User);
}
