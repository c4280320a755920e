using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.TestSupport.Aws;

/// <summary>
/// A minimal AWS container-credentials endpoint on 127.0.0.1 and a free port, for proving the
/// JSON shape and the token check against the real AWS CLI. (The broker's own endpoint is its
/// server's; this one only wires given delegates to HTTP.) Point
/// <c>AWS_CONTAINER_CREDENTIALS_FULL_URI</c> at <see cref="Url"/>.
/// </summary>
public sealed class ContainerCredentialsEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _refused;

    private ContainerCredentialsEndpoint(WebApplication app) => _app = app;

    /// <summary>The full credentials URI.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>How many requests were answered with credentials.</summary>
    public int ServedRequests => Volatile.Read(ref _requests);

    /// <summary>How many requests were refused for a wrong or missing token.</summary>
    public int RefusedRequests => Volatile.Read(ref _refused);

    /// <summary>Starts the endpoint.</summary>
    /// <param name="isAuthorized">Checks the request's <c>Authorization</c> header value (null when absent).</param>
    /// <param name="credentialsJson">Produces the response body, or null when no credentials can be had (answered with 500).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running endpoint.</returns>
    public static async Task<ContainerCredentialsEndpoint> StartAsync(
        Func<string?, bool> isAuthorized,
        Func<CancellationToken, Task<string?>> credentialsJson,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var endpoint = new ContainerCredentialsEndpoint(app);
        app.MapGet("/credentials", async context =>
        {
            var presented = context.Request.Headers.Authorization.Count == 1 ? context.Request.Headers.Authorization.ToString() : null;
            if (!isAuthorized(presented))
            {
                Interlocked.Increment(ref endpoint._refused);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            var json = await credentialsJson(context.RequestAborted).ConfigureAwait(false);
            if (json is null)
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            Interlocked.Increment(ref endpoint._requests);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        endpoint.Url = new Uri(address.TrimEnd('/') + "/credentials");
        return endpoint;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
