using System.Security.Claims;
using System.Text.Encodings.Web;
using Broker.Identity.Tokens;
using Broker.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore.Authentication;

namespace Broker.Server.Auth;

/// <summary>
/// Authenticates every request from its <c>authorization: Bearer</c> header with the broker's
/// <see cref="TokenValidator"/>, in ASP.NET Core's authentication middleware: before routing hands
/// the request to a gRPC handler, so the body of an unauthenticated call is never read (a caller
/// announcing a 4 MiB message and stalling holds nothing). A refused call is answered as gRPC
/// clients expect: UNAUTHENTICATED, with the reason, in a trailers-only response. A connection that
/// carried an authenticated call is no longer subject to the unauthenticated limits.
/// </summary>
internal sealed partial class BearerTokenHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "BrokerBearer";

    private const string MissingToken = "a bearer token is required (authorization: Bearer <JWT>)";
    private readonly TokenValidator _validator;
    private readonly ConnectionAdmission _admission;

    public BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenValidator validator, ConnectionAdmission admission)
        : base(options, logger, encoder)
    {
        _validator = validator;
        _admission = admission;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var outcome = await _validator.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted).ConfigureAwait(false);
        if (!outcome.IsSuccess)
        {
            LogRefused(Logger, Request.Path.Value ?? string.Empty, outcome.Failure);
            return AuthenticateResult.Fail($"the token was refused: {outcome.Reason}");
        }

        _admission.Authenticated(Context.Connection.Id);
        var principal = new CallerPrincipal(outcome.Caller);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        if (result.None)
        {
            LogRefused(Logger, Request.Path.Value ?? string.Empty, TokenFailureKind.Malformed);
        }

        if (Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
        {
            // Not a gRPC call (MCP over HTTP): 401 with the pointer to the protected-resource metadata, as MCP clients expect.
            await Context.ChallengeAsync(McpAuthenticationDefaults.AuthenticationScheme, properties).ConfigureAwait(false);
            return;
        }

        await GrpcStatusResponse.WriteAsync(Context, GrpcStatusResponse.Unauthenticated, result.Failure?.Message ?? MissingToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, TokenFailureKind reason);
}

/// <summary>The caller a validated token established, as the request's user.</summary>
internal sealed class CallerPrincipal(AuthenticatedCaller caller)
    : ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, caller.Identity.Subject, ClaimValueTypes.String, caller.Identity.Issuer)], BearerTokenHandler.SchemeName))
{
    public AuthenticatedCaller Caller { get; } = caller;

    /// <summary>
    /// The broker's caller behind a request's user, or null when the user is not one this scheme authenticated. The one
    /// mapping from a principal to a caller: gRPC calls (through <see cref="CallerAuthInterceptor"/>) and MCP tool
    /// calls (over HTTP or relayed over gRPC, where the principal travels on the JSON-RPC message) both use it.
    /// </summary>
    public static AuthenticatedCaller? From(ClaimsPrincipal? user) => (user as CallerPrincipal)?.Caller;
}
