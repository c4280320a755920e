using Broker.Identity.Cluster;
using Broker.Identity.Tokens;
using Broker.Policy;
using Broker.Server.Audit;
using Broker.Server.Replicas.Forwarding;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Broker.Server.Auth;

/// <summary>
/// Hands the caller that <see cref="BearerTokenHandler"/> authenticated (before the request was
/// routed, so before any body was read) to the services. Only health checks are exempt from
/// authentication: load balancers probe without tokens. A call that reached a service without an
/// authenticated caller is refused here too, so no endpoint mapped without the authorization
/// requirement can run unauthenticated. A call another replica forwarded is admitted only for the method and the
/// session its assertion names (<see cref="ForwardedMethods"/>), and is marked so that it is answered here, never
/// forwarded again. Every forwarded call is audited as admitted or refused.
/// </summary>
internal sealed class CallerAuthInterceptor(AuditTrail audit) : Interceptor
{
    private const string HealthService = "/grpc.health.v1.Health/";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context, request);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context, request);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context, null);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context, null);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private void Attach(ServerCallContext context, object? request)
    {
        if (context.Method.StartsWith(HealthService, StringComparison.Ordinal))
        {
            return;
        }

        if (context.GetHttpContext().User is CallerPrincipal { Forward: { } forward } principal)
        {
            Admit(context, request, forward);
            context.UserState[typeof(ForwardedCall)] = forward;
            context.UserState[typeof(AuthenticatedCaller)] = principal.Caller;
            return;
        }

        context.UserState[typeof(AuthenticatedCaller)] = CallerPrincipal.From(context.GetHttpContext().User)
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "a bearer token is required (authorization: Bearer <JWT>)"));
    }

    private void Admit(ServerCallContext context, object? request, ForwardedCall forward)
    {
        var who = forward.Caller.Identity;
        // Checked before the handler runs: a refused forward has no effect on the session.
        if (forward.Method != context.Method || ForwardedMethods.SessionOf(context.Method, request) is not { } session || session != forward.SessionId)
        {
            audit.Post(AuditProjection.Forward(context.Method, forward.SessionId, forward.ForwardedBy, who.Issuer, who.Subject, "the forward assertion does not allow this call"));
            throw new RpcException(new Status(StatusCode.PermissionDenied, "the forward assertion does not allow this call"));
        }

        audit.Post(AuditProjection.Forward(context.Method, session, forward.ForwardedBy, who.Issuer, who.Subject, null));
    }
}

/// <summary>Reads the caller the interceptor attached.</summary>
internal static class CallerContextExtensions
{
    /// <summary>Who the call's token names.</summary>
    public static CallerIdentity Caller(this ServerCallContext context) => context.AuthenticatedCaller().Identity;

    /// <summary>Whether another replica forwarded the call (it is then answered here, never forwarded on).</summary>
    public static bool IsForwarded(this ServerCallContext context) => context.UserState.ContainsKey(typeof(ForwardedCall));

    /// <summary>Who the call's token names, and until when the token holds (a session's token watch needs both).</summary>
    public static AuthenticatedCaller AuthenticatedCaller(this ServerCallContext context) =>
        context.UserState.TryGetValue(typeof(AuthenticatedCaller), out var value) && value is AuthenticatedCaller caller
            ? caller
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "the call is not authenticated"));
}
