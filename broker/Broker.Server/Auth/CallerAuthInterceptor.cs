using Broker.Identity.Tokens;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Broker.Server.Auth;

/// <summary>
/// Every call must carry a valid bearer token; the caller's identity is attached to the call
/// for the services. Only health checks are exempt: load balancers probe without tokens.
/// </summary>
internal sealed partial class CallerAuthInterceptor : Interceptor
{
    private const string HealthService = "/grpc.health.v1.Health/";
    private readonly TokenValidator _validator;
    private readonly ILogger<CallerAuthInterceptor> _logger;

    public CallerAuthInterceptor(TokenValidator validator, ILogger<CallerAuthInterceptor> logger)
    {
        _validator = validator;
        _logger = logger;
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context).ConfigureAwait(false);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context).ConfigureAwait(false);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context).ConfigureAwait(false);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context).ConfigureAwait(false);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private async Task AuthenticateAsync(ServerCallContext context)
    {
        if (context.Method.StartsWith(HealthService, StringComparison.Ordinal))
        {
            return;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            LogRefused(_logger, context.Method, TokenFailureKind.Malformed);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a bearer token is required (authorization: Bearer <JWT>)"));
        }

        var outcome = await _validator.ValidateAsync(header["Bearer ".Length..].Trim(), context.CancellationToken).ConfigureAwait(false);
        if (!outcome.IsSuccess)
        {
            LogRefused(_logger, context.Method, outcome.Failure);
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the token was refused: {outcome.Reason}"));
        }

        context.UserState[typeof(CallerIdentity)] = outcome.Identity!;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, TokenFailureKind reason);
}

/// <summary>Reads the identity the interceptor attached.</summary>
internal static class CallerContextExtensions
{
    public static CallerIdentity Caller(this ServerCallContext context) =>
        context.UserState.TryGetValue(typeof(CallerIdentity), out var value) && value is CallerIdentity identity
            ? identity
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "the call is not authenticated"));
}
