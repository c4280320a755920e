using Broker.Server.Audit;
using Broker.Core.Native;
using Broker.Core.Processes;
using Broker.Core.Sessions;
using Broker.Server.Composition;
using Broker.Core.Targets;
using Broker.Identity.Aws;
using Broker.Identity.Tokens;
using Broker.Server.Access;
using Broker.Server.Approvals;
using Broker.Server.Auth;
using Broker.Server.Configuration;
using Broker.Server.Credentials;
using Broker.Server.Grpc;
using Broker.Server.Mcp;
using Broker.Server.Mcp.Relay;
using Broker.Server.Recording;
using Broker.Server.Replicas;
using Broker.Server.Replicas.Forwarding;
using Broker.Server.Targets;
using Grpc.AspNetCore.Server;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Broker.Server.Hosting;

/// <summary>Builds the ASP.NET Core host: a thin gRPC layer over the core session model.</summary>
internal static class BrokerHost
{
    // Health requests carry a service name: a few bytes. Anything near this is not a health check.
    private const int MaxHealthMessageBytes = 4096;

    /// <summary>
    /// Works out where and how the broker listens (the URLs against the TLS rule, the connection budget
    /// within the descriptor limit, which it raises first); the errors name what to change.
    /// </summary>
    public static (HostPlan? Plan, IReadOnlyList<string> Errors) Plan(BrokerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (endpoints, errors) = ListenEndpoint.Plan(settings.Urls, settings.Server.Tls is not null, settings.Server.AllowPlaintext);
        var (budget, budgetError) = ConnectionBudget.Plan(settings.Server.Limits, DescriptorLimit.Raise());
        IReadOnlyList<string> all = budgetError is null ? errors : [.. errors, budgetError];
        return all.Count > 0 ? (null, all) : (new HostPlan(endpoints, budget!), all);
    }

    /// <summary>
    /// Builds the host. <paramref name="containment"/> stays the caller's: it outlives the host so that the
    /// sessions ended at shutdown can still remove their cgroups. <paramref name="replaceServices"/> runs
    /// after every registration, so a test can put its own part in place of one (a slow recording store).
    /// </summary>
    /// <exception cref="InvalidOperationException">The settings cannot be served (see <see cref="Plan"/>).</exception>
    public static WebApplication Build(BrokerSettings settings, ProcessContainment containment, Action<ILoggingBuilder>? configureLogging = null, Action<IServiceCollection>? replaceServices = null)
    {
        var (plan, errors) = Plan(settings);
        if (plan is null)
        {
            throw new InvalidOperationException(string.Join("; ", errors));
        }

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
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, plan));
        builder.WebHost.UseSockets(SocketScheduling.Configure);

        // The settings and the plan are registered once; the services below read them from the container rather than
        // from this method's variables, so a test's replacement of either reaches every service built from it.
        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(settings.Time);
        services.AddSingleton(settings.Access);
        services.AddSingleton<OpenSessions>();
        services.AddSingleton(plan.Budget);
        // Connection deadlines are wall-clock: a test's fake session clock must not close its connections.
        services.AddSingleton(sp => new ConnectionAdmission(sp.GetRequiredService<ConnectionBudget>(), TimeProvider.System, sp.GetRequiredService<ILogger<ConnectionAdmission>>()));
        if (settings.Server.Tls is not null)
        {
            services.AddSingleton(sp => new TlsCertificates(Settings(sp).Server.Tls!, TimeProvider.System, sp.GetRequiredService<ILogger<TlsCertificates>>()));
        }

        services.AddSingleton(sp => new TokenValidator(Settings(sp).Issuers, Settings(sp).Time, null, sp.GetRequiredService<ILogger<TokenValidator>>()));
        // The authentication core without AddAuthentication's data protection, which would write keys to the
        // service account's home directory: bearer tokens need neither cookies nor key rings.
        services.AddAuthenticationCore(options => options.DefaultScheme = BearerTokenHandler.SchemeName);
        services.AddWebEncoders();
        new AuthenticationBuilder(services).AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null).AddBrokerMcpChallenge();
        services.AddAuthorization();
        services.AddSingleton(sp => new SessionManager(
            [
                .. Settings(sp).Targets.Select(t => (ITarget)new LocalShellTarget(t, containment)),
                .. Settings(sp).SsmTargets.Select(t => (ITarget)new SsmSessionTarget(
                    t, sp.GetRequiredService<SessionAwsCredentials>(), Settings(sp).Time, sp.GetRequiredService<ILogger<SsmSessionTarget>>())),
            ],
            Settings(sp).Time));
        services.AddSingleton<CallerAuthInterceptor>();
        services.AddSingleton<Masking.MaskingProfiles>();
        services.AddRecordings(sharedStore: settings.Server.Store.Postgres is not null);
        services.AddApprovals(embeddedStore: settings.Server.Store.Postgres is null);
        services.AddAudit(sharedStore: settings.Server.Store.Postgres is not null);
        if (settings.Server.Store.Postgres is { } store)
        {
            var (instance, instanceError) = ReplicaInstance.For(settings.DataDirectory);
            services.AddReplicas(
                store,
                ReplicaIdentity.From(settings.Server.Replica, instance ?? throw new InvalidOperationException(instanceError)),
                settings.Server.Replica.ClusterKeyFile);
        }

        // The embedded broker holds every session itself: no cluster key, no registry, nothing forwarded.
        services.TryAddSingleton(ClusterTrust.None);
        services.AddSingleton<ReplicaChannels>();
        services.AddSingleton(sp => new SessionForwarder(
            sp.GetService<Postgres.ReplicaRegistry>(),
            sp.GetService<ReplicaIdentity>(),
            sp.GetRequiredService<ClusterTrust>(),
            sp.GetRequiredService<ReplicaChannels>(),
            sp.GetService<IRecordingIndex>() as PostgresRecordingIndex,
            TimeProvider.System,
            sp.GetRequiredService<ILogger<SessionForwarder>>()));
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton(sp => new AwsCredentialBroker(Settings(sp).Sts.ToSettings(), Settings(sp).AwsBaseCredentials, Settings(sp).Time, sp.GetRequiredService<ILogger<AwsCredentialBroker>>()));
        services.AddSingleton(sp => new CredentialsEndpoint(Settings(sp).Sts.CredentialsEndpointPort, sp.GetRequiredService<ILogger<CredentialsEndpoint>>()));
        services.AddHostedService(sp => sp.GetRequiredService<CredentialsEndpoint>());
        services.AddSingleton<SessionAwsCredentials>();
        services.AddSingleton<IReviewGate, ApprovalReviewGate>();
        services.AddSingleton<SessionComposer>();
        services.AddSingleton<SessionVisibility>();
        services.AddSingleton<PolicyReloader>();
        services.AddSingleton<SessionTokenWatches>();
        services.AddMcpRelay();
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<CallerAuthInterceptor>();
            grpc.MaxSendMessageSize = null;
            grpc.EnableDetailedErrors = false;
        }).AddServiceOptions<HealthServiceImpl>(health => health.MaxReceiveMessageSize = MaxHealthMessageBytes);
        services.AddOptions<GrpcServiceOptions>().Configure<BrokerSettings>((grpc, configured) => grpc.MaxReceiveMessageSize = configured.MaxReceiveMessageBytes);
        services.AddGrpcReflection();
        services.AddBrokerMcp();
        services.Configure<HostOptions>(host => host.ShutdownTimeout = BrokerShutdown.ShutdownTimeout);
        services.AddHostedService<BrokerShutdown>();
        if (GcPauseLog.FromEnvironment() is { } pauses)
        {
            services.AddHostedService(_ => pauses);
        }

        replaceServices?.Invoke(services);

        var app = builder.Build();
        // Before routing reaches a gRPC handler, so no request body is read for a caller without a valid token.
        app.UseCompressedRequestRefusal();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGrpcService<SessionGrpcService>().RequireAuthorization();
        app.MapGrpcService<RecordingGrpcService>().RequireAuthorization();
        app.MapGrpcService<ApprovalGrpcService>().RequireAuthorization();
        app.MapGrpcService<AuditGrpcService>().RequireAuthorization();
        app.MapGrpcService<McpRelayGrpcService>().RequireAuthorization();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService().RequireAuthorization();
        app.MapBrokerMcp();

        var health = app.Services.GetRequiredService<HealthServiceImpl>();
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("broker.v1.SessionService", HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("broker.v1.RecordingService", HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("broker.v1.ApprovalService", HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("broker.v1.AuditService", HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("broker.v1.McpRelayService", HealthCheckResponse.Types.ServingStatus.Serving);
        return app;
    }

    private static BrokerSettings Settings(IServiceProvider services) => services.GetRequiredService<BrokerSettings>();

    /// <summary>Every endpoint of the plan, behind the connection admission (and TLS where the URL says https).</summary>
    private static void ConfigureKestrel(KestrelServerOptions kestrel, HostPlan plan)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxConcurrentConnections = plan.Budget.MaxConnections;
        kestrel.Limits.RequestHeadersTimeout = plan.Budget.RequestHeadersTimeout;
        kestrel.Limits.Http2.MaxStreamsPerConnection = plan.Budget.MaxStreamsPerConnection;
        kestrel.Limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
        kestrel.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
        var admission = kestrel.ApplicationServices.GetRequiredService<ConnectionAdmission>();
        foreach (var endpoint in plan.Endpoints)
        {
            void Configure(ListenOptions listen)
            {
                // gRPC clients speak HTTP/2 with prior knowledge on h2c, and by ALPN over TLS. Over TLS, ALPN also lets
                // HTTP/1.1 clients (most MCP clients, at /mcp) in beside them; on cleartext Kestrel cannot tell the two
                // apart, so a plain port stays HTTP/2-only for gRPC's sake (docs/mcp.md, "HTTP versions").
                listen.Protocols = endpoint.Tls ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
                listen.Use(admission.Middleware);
                if (endpoint.Tls)
                {
                    listen.UseHttps(kestrel.ApplicationServices.GetRequiredService<TlsCertificates>().HttpsOptions(plan.Budget.RequestHeadersTimeout));
                }
            }

            if (endpoint.Localhost)
            {
                kestrel.ListenLocalhost(endpoint.Port, Configure);
            }
            else if (endpoint.Address is null)
            {
                kestrel.ListenAnyIP(endpoint.Port, Configure);
            }
            else
            {
                kestrel.Listen(endpoint.Address, endpoint.Port, Configure);
            }
        }
    }

    /// <summary>The addresses Kestrel actually bound (port 0 resolves to a real port).</summary>
    public static IReadOnlyList<string> BoundAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}

/// <summary>Where the broker listens and how many connections it takes.</summary>
internal sealed record HostPlan(IReadOnlyList<ListenEndpoint> Endpoints, ConnectionBudget Budget);
