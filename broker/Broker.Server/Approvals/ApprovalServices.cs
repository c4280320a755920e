using Broker.Approvals;
using Broker.Core.Sessions;
using Broker.Server.Access;
using Broker.Server.Configuration;

namespace Broker.Server.Approvals;

/// <summary>
/// Registers the approval store (SQLite in the data directory), the coordinator, notifications and restart recovery;
/// the settings are read from the container when each part is built. With a shared store (<c>embeddedStore</c>
/// false) the store and the recovery are the replicas' (<c>Replicas/ReplicaServices</c>).
/// </summary>
internal static class ApprovalServices
{
    private const string WebhookClient = "approval-webhooks";

    public static IServiceCollection AddApprovals(this IServiceCollection services, bool embeddedStore)
    {
        services.AddKeyedSingleton(WebhookClient, (_, _) => new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // Receivers behind DNS move; a pooled connection is not kept for ever.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
        }));
        // Retry delays are wall-clock: a test's fake session clock must not hold deliveries back.
        services.AddSingleton(sp => new WebhookNotifier(
            role => WebhooksFor(sp.GetRequiredService<IAccessPolicy>().Roles([role]) is [{ Approvers: { } approvers }, ..] ? approvers.Webhooks : [], sp.GetRequiredService<BrokerSettings>().Server.Approvals.Webhooks),
            sp.GetRequiredKeyedService<HttpClient>(WebhookClient),
            TimeProvider.System,
            sp.GetRequiredService<ILogger<WebhookNotifier>>()));
        services.AddSingleton<IApprovalListener>(sp => sp.GetRequiredService<WebhookNotifier>());
        if (embeddedStore)
        {
            services.AddSingleton<IApprovalStore>(sp => new SqliteApprovalStore(Path.Combine(sp.GetRequiredService<BrokerSettings>().DataDirectory, SqliteApprovalStore.FileName)));
            services.AddHostedService<ApprovalRecovery>();
        }

        services.AddSingleton(sp => new ApprovalCoordinator(sp.GetRequiredService<IApprovalStore>(), sp.GetRequiredService<BrokerSettings>().Time, sp.GetServices<IApprovalListener>()));
        services.AddSingleton<ApprovalVisibility>();
        services.AddSingleton<WaitingCommands>();
        return services;
    }

    /// <summary>A role's own webhooks, then the global ones; a receiver listed in both gets each event once (with the role's key).</summary>
    internal static IReadOnlyList<Broker.Policy.WebhookDefinition> WebhooksFor(IReadOnlyList<Broker.Policy.WebhookDefinition> role, IReadOnlyList<Broker.Policy.WebhookDefinition> global) =>
        global.Count == 0 ? role : [.. role.Concat(global).DistinctBy(w => w.Url)];
}

/// <summary>
/// At start, before any call is served: pending requests whose session is gone (every session of a broker that
/// stopped) are withdrawn with that reason. Decided requests and their history are left as they are.
/// </summary>
internal sealed partial class ApprovalRecovery(ApprovalCoordinator coordinator, SessionManager sessions, ILogger<ApprovalRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var withdrawn = await coordinator.RecoverAsync(id => sessions.Registry.Find(id) is { IsRunning: true }, cancellationToken).ConfigureAwait(false);
        if (withdrawn > 0)
        {
            LogWithdrawn(logger, withdrawn);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Approvals: {Count} pending requests of sessions that ended with the previous broker were withdrawn")]
    private static partial void LogWithdrawn(ILogger logger, int count);
}
