using Broker.Identity.Tokens;
using Broker.Policy;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Broker.Server.Auth;

/// <summary>
/// Hands the caller that <see cref="BearerTokenHandler"/> authenticated (before the request was
/// routed, so before any body was read) to the services. Only health checks are exempt from
/// authentication: load balancers probe without tokens. A call that reached a service without an
/// authenticated caller is refused here too, so no endpoint mapped without the authorization
/// requirement can run unauthenticated.
/// </summary>
internal sealed class CallerAuthInterceptor : Interceptor
{
    private const string HealthService = "/grpc.health.v1.Health/";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Attach(context);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private static void Attach(ServerCallContext context)
    {
        if (context.Method.StartsWith(HealthService, StringComparison.Ordinal))
        {
            return;
        }

        context.UserState[typeof(AuthenticatedCaller)] = CallerPrincipal.From(context.GetHttpContext().User)
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "a bearer token is required (authorization: Bearer <JWT>)"));
    }
}

/// <summary>Reads the caller the interceptor attached.</summary>
internal static class CallerContextExtensions
{
    /// <summary>Who the call's token names.</summary>
    public static CallerIdentity Caller(this ServerCallContext context) => context.AuthenticatedCaller().Identity;

    /// <summary>Who the call's token names, and until when the token holds (a session's token watch needs both).</summary>
    public static AuthenticatedCaller AuthenticatedCaller(this ServerCallContext context) =>
        context.UserState.TryGetValue(typeof(AuthenticatedCaller), out var value) && value is AuthenticatedCaller caller
            ? caller
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "the call is not authenticated"));
}
