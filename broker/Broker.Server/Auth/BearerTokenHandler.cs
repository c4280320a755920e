using System.Security.Claims;
using System.Text.Encodings.Web;
using Broker.Identity.Cluster;
using Broker.Identity.Tokens;
using Broker.Server.Hosting;
using Broker.Server.Replicas.Forwarding;
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
/// A call another replica forwards carries a forward assertion (<see cref="ForwardedMethods.Header"/>) instead of a
/// bearer token, checked under the cluster key (<see cref="ClusterTrust"/>); a request with both is refused, and so
/// is an assertion on a broker without a cluster key.
/// </summary>
internal sealed partial class BearerTokenHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "BrokerBearer";

    private const string MissingToken = "a bearer token is required (authorization: Bearer <JWT>)";
    private readonly TokenValidator _validator;
    private readonly ConnectionAdmission _admission;
    private readonly ClusterTrust _cluster;
    private readonly Audit.AuditTrail _audit;

    public BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenValidator validator, ConnectionAdmission admission, ClusterTrust cluster, Audit.AuditTrail audit)
        : base(options, logger, encoder)
    {
        _validator = validator;
        _admission = admission;
        _cluster = cluster;
        _audit = audit;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (Request.Headers.TryGetValue(ForwardedMethods.Header, out var forward))
        {
            return await AuthenticateForwardAsync(header is null ? forward.ToString() : null).ConfigureAwait(false);
        }

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

        if (!_admission.Authenticated(Context.Connection.Id))
        {
            return ClosedUnauthenticated();
        }

        var principal = new CallerPrincipal(outcome.Caller);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private async Task<AuthenticateResult> AuthenticateForwardAsync(string? assertion)
    {
        var outcome = assertion is null ? ForwardValidation.Refused("a call carries either a bearer token or a forward assertion, not both")
            : _cluster.Assertions is not { } assertions ? ForwardValidation.Refused("this broker has no cluster key and takes no forwarded calls")
            : await assertions.ValidateAsync(assertion).ConfigureAwait(false);
        if (outcome.Call is not { } call)
        {
            LogForwardRefused(Logger, Request.Path.Value ?? string.Empty, outcome.Refusal!);
            // Who sent it is not known (the assertion was not trusted): the refusal and the method are what is recorded.
            _audit.Post(Audit.AuditProjection.Forward(Request.Path.Value ?? string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, outcome.Refusal));
            return AuthenticateResult.Fail($"the forward assertion was refused: {outcome.Refusal}");
        }

        if (!_admission.Authenticated(Context.Connection.Id))
        {
            return ClosedUnauthenticated();
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new CallerPrincipal(call.Caller, call), SchemeName));
    }

    // The connection was closed as unauthenticated (the cap or the timeout) while this call's token was being checked.
    private static AuthenticateResult ClosedUnauthenticated() =>
        AuthenticateResult.Fail("the connection was closed as unauthenticated before its call was authenticated");

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused forwarded {Method}: {Reason}")]
    private static partial void LogForwardRefused(ILogger logger, string method, string reason);
}

/// <summary>The caller a validated token (or, for a forwarded call, a validated forward assertion) established, as the request's user.</summary>
internal sealed class CallerPrincipal(AuthenticatedCaller caller, ForwardedCall? forward = null)
    : ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, caller.Identity.Subject, ClaimValueTypes.String, caller.Identity.Issuer)], BearerTokenHandler.SchemeName))
{
    public AuthenticatedCaller Caller { get; } = caller;

    /// <summary>The forwarded call the assertion allows, when another replica forwarded this one; null for a caller's own token.</summary>
    public ForwardedCall? Forward { get; } = forward;

    /// <summary>
    /// The broker's caller behind a request's user, or null when the user is not one this scheme authenticated. The one
    /// mapping from a principal to a caller: gRPC calls (through <see cref="CallerAuthInterceptor"/>) and MCP tool
    /// calls (over HTTP or relayed over gRPC, where the principal travels on the JSON-RPC message) both use it. A
    /// forwarded call's principal is not a caller here: only the gRPC interceptor, which checks the method and session
    /// its assertion allows, admits it (<see cref="CallerAuthInterceptor"/>).
    /// </summary>
    public static AuthenticatedCaller? From(ClaimsPrincipal? user) => user is CallerPrincipal { Forward: null } principal ? principal.Caller : null;
}
