using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Broker.Identity.Aws;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Broker.Server.Credentials;

/// <summary>
/// The AWS container-credentials endpoint of every session: its own HTTP/1.1 listener on
/// 127.0.0.1 (the AWS CLI and SDKs accept plain HTTP only to loopback), separate from the gRPC
/// port so that nothing of the agent API is reachable through it. A request needs the session's
/// unguessable path and its authorization token; the answer is the ECS credentials JSON.
/// </summary>
internal sealed partial class CredentialsEndpoint : IHostedService, IAsyncDisposable
{
    private const string PathPrefix = "/v1/credentials/";
    private readonly int _port;
    private readonly ILogger<CredentialsEndpoint> _logger;
    private readonly ConcurrentDictionary<string, CredentialLease> _leases = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public CredentialsEndpoint(int port, ILogger<CredentialsEndpoint> logger)
    {
        _port = port;
        _logger = logger;
    }

    /// <summary>The listener's base address once started, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri? BaseAddress { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 0;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Listen(IPAddress.Loopback, _port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        BaseAddress = new Uri(address.TrimEnd('/'));
        _app = app;
        LogListening(_logger, BaseAddress);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Places a session's credential source at a new random path; it answers once activated.</summary>
    public CredentialLease Add(SessionCredentialSource source, DateTimeOffset now)
    {
        var baseAddress = BaseAddress ?? throw new InvalidOperationException("the credentials endpoint has not started");
        var path = PathPrefix + Base64Url(RandomNumberGenerator.GetBytes(24));
        var lease = new CredentialLease(path, new Uri(baseAddress, path), source, now);
        _leases[path] = lease;
        return lease;
    }

    /// <summary>Takes a lease off the endpoint; its path answers 404 from now on.</summary>
    public void Remove(CredentialLease lease) => _leases.TryRemove(new KeyValuePair<string, CredentialLease>(lease.Path, lease));

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsGet(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (request.Path.Value is not { } path || !_leases.TryGetValue(path, out var lease) || !lease.IsServing)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var authorization = request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            LogRefused(_logger, lease.Source.SessionId, "no authorization token");
            response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        if (authorization.Count != 1 || !lease.Source.IsAuthorized(authorization.ToString()))
        {
            LogRefused(_logger, lease.Source.SessionId, "wrong authorization token");
            response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var outcome = await lease.Source.GetCurrentAsync(context.RequestAborted).ConfigureAwait(false);
        response.ContentType = "application/json";
        if (!outcome.IsSuccess)
        {
            // The SDKs retry a 5xx; the message tells the session's user what went wrong.
            response.StatusCode = StatusCodes.Status500InternalServerError;
            await response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["Code"] = outcome.ErrorCode!, ["Message"] = outcome.Error }), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        ContainerCredentialsJson.Write(outcome.Credentials, response.BodyWriter);
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Information, Message = "AWS credentials endpoint listening on {Address}")]
    private static partial void LogListening(ILogger logger, Uri address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Credentials request for session {SessionId} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string sessionId, string reason);
}
