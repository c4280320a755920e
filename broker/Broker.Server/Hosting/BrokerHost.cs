using Broker.Core.Native;
using Broker.Core.Processes;
using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.Identity.Aws;
using Broker.Identity.Tokens;
using Broker.Server.Access;
using Broker.Server.Auth;
using Broker.Server.Configuration;
using Broker.Server.Credentials;
using Broker.Server.Grpc;
using Broker.Server.Recording;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Broker.Server.Hosting;

/// <summary>Builds the ASP.NET Core host: a thin gRPC layer over the core session model.</summary>
internal static class BrokerHost
{
    /// <summary>
    /// Builds the host. <paramref name="containment"/> stays the caller's: it outlives the host so that the
    /// sessions ended at shutdown can still remove their cgroups. <paramref name="replaceServices"/> runs
    /// after every registration, so a test can put its own part in place of one (a slow recording store).
    /// </summary>
    public static WebApplication Build(BrokerSettings settings, ProcessContainment containment, Action<ILoggingBuilder>? configureLogging = null, Action<IServiceCollection>? replaceServices = null)
    {
        // The broker reads no appsettings files. Left on, the default reload-on-change watcher
        // watches the content root recursively: started from / it walks the whole file system
        // before listening, and every file written under the working directory (recordings
        // included) wakes it.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls([.. settings.Urls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Plain-text HTTP/2 (h2c): gRPC clients connect with prior knowledge.
            kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
        });

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(settings.Time);
        services.AddSingleton(settings.Access);
        services.AddSingleton(sp => new TokenValidator(settings.Issuers, settings.Time, null, sp.GetRequiredService<ILogger<TokenValidator>>()));
        services.AddSingleton(sp => new SessionManager(
            settings.Targets.Select(t => (ITarget)new LocalShellTarget(t, FdEventLoop.Shared, containment)),
            settings.Time));
        services.AddSingleton<CallerAuthInterceptor>();
        services.AddSingleton<Masking.MaskingProfiles>();
        services.AddRecordings(settings);
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton(sp => new AwsCredentialBroker(settings.Sts.ToSettings(), settings.AwsBaseCredentials, settings.Time, sp.GetRequiredService<ILogger<AwsCredentialBroker>>()));
        services.AddSingleton(sp => new CredentialsEndpoint(settings.Sts.CredentialsEndpointPort, sp.GetRequiredService<ILogger<CredentialsEndpoint>>()));
        services.AddHostedService(sp => sp.GetRequiredService<CredentialsEndpoint>());
        services.AddSingleton<SessionAwsCredentials>();
        services.AddSingleton<PolicyReloader>();
        services.AddSingleton<SessionTokenWatches>();
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<CallerAuthInterceptor>();
            grpc.MaxReceiveMessageSize = settings.MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = null;
            grpc.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        replaceServices?.Invoke(services);

        var app = builder.Build();
        app.MapGrpcService<SessionGrpcService>();
        app.MapGrpcService<RecordingGrpcService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();

        var health = app.Services.GetRequiredService<HealthServiceImpl>();
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("broker.v1.SessionService", HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("broker.v1.RecordingService", HealthCheckResponse.Types.ServingStatus.Serving);
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
            var sessions = app.Services.GetRequiredService<SessionManager>();
            sessions.Registry.TerminateAllAsync("the broker is shutting down", TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            // Sealed recordings finish reaching the disk before the process exits.
            Task.WaitAny([app.Services.GetRequiredService<RecordingCatalog>().WhenClosedAsync()], TimeSpan.FromSeconds(10));
        });
        return app;
    }

    /// <summary>The addresses Kestrel actually bound (port 0 resolves to a real port).</summary>
    public static IReadOnlyList<string> BoundAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
