using Broker.Server.Configuration;
using Microsoft.AspNetCore.Authentication;
using ModelContextProtocol.AspNetCore.Authentication;
using ModelContextProtocol.Authentication;

namespace Broker.Server.Mcp;

/// <summary>
/// MCP's side of the broker's bearer authentication (MCP authorization spec, RFC 9728): the SDK's scheme publishes
/// the protected-resource metadata at <c>/.well-known/oauth-protected-resource</c>, naming the configured issuers
/// as the authorization servers, and answers a refused HTTP request with 401 and a <c>WWW-Authenticate</c> header
/// that points at it. Tokens themselves are validated only by the broker's own scheme, for gRPC and MCP alike.
/// </summary>
internal static class McpAuthentication
{
    public static AuthenticationBuilder AddBrokerMcpChallenge(this AuthenticationBuilder authentication)
    {
        authentication.AddMcp(_ => { });
        authentication.Services.AddOptions<McpAuthenticationOptions>(McpAuthenticationDefaults.AuthenticationScheme).Configure<BrokerSettings>((options, settings) =>
        {
            options.ResourceMetadata = new ProtectedResourceMetadata
            {
                AuthorizationServers = [.. settings.Issuers.Select(i => i.Issuer)],
                BearerMethodsSupported = ["header"],
                ResourceName = "broker",
            };
            // The resource is the /mcp endpoint as the client reached it (the broker may listen on several addresses).
            options.Events.OnResourceMetadataRequest = context =>
            {
                var request = context.HttpContext.Request;
                context.ResourceMetadata = options.ResourceMetadata.Clone(new Uri($"{request.Scheme}://{request.Host}{McpRegistration.Path}").ToString());
                return Task.CompletedTask;
            };
        });
        return authentication;
    }
}
