using Broker.Approvals;
using Broker.Policy;
using Broker.Postgres;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;

namespace Broker.Server.Replicas;

/// <summary>
/// Registers the shared PostgreSQL store in place of the embedded one: approvals in PostgreSQL, changes made on other
/// replicas relayed to this one's coordinator, and this replica's membership in the registry. The schema was migrated
/// by <see cref="StoreMigration"/> before the host was built. With a cluster key, calls about sessions other replicas
/// hold are forwarded to them, and theirs accepted here (<see cref="Forwarding.SessionForwarder"/>).
/// </summary>
internal static class ReplicaServices
{
    public static IServiceCollection AddReplicas(this IServiceCollection services, PostgresDefinition store, ReplicaIdentity identity, string? clusterKeyFile)
    {
        services.AddSingleton(identity);
        services.AddSingleton(Forwarding.ClusterTrust.FromKeyFile(clusterKeyFile, identity.Id));
        services.AddSingleton(_ => PostgresDataSource.Create(store, identity.Id).DataSource
            ?? throw new InvalidOperationException("the PostgreSQL store was checked at start and can no longer be opened"));
        services.AddSingleton<IApprovalStore>(sp => new PostgresApprovalStore(sp.GetRequiredService<NpgsqlDataSource>()));
        // Heartbeats are compared across replicas: wall-clock time, never a test's fake session clock.
        services.AddSingleton(sp => new ReplicaRegistry(sp.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System, identity.DeadAfter));
        services.AddSingleton(sp => new ApprovalChangeListener(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ApprovalCoordinator>(), identity.Id, TimeProvider.System, sp.GetRequiredService<ILogger<ApprovalChangeListener>>()));
        services.AddHostedService<ApprovalChangeRelay>();
        services.AddSingleton(sp => new ReplicaMembership(
            sp.GetRequiredService<ReplicaRegistry>(),
            identity,
            sp.GetRequiredService<Core.Sessions.SessionManager>(),
            sp.GetRequiredService<Approvals.WaitingCommands>(),
            sp.GetRequiredService<ApprovalCoordinator>(),
            () => sp.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            TimeProvider.System,
            sp.GetRequiredService<ILogger<ReplicaMembership>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ReplicaMembership>());
        return services;
    }
}

/// <summary>Runs the <see cref="ApprovalChangeListener"/> for the life of the host.</summary>
internal sealed class ApprovalChangeRelay(ApprovalChangeListener listener) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => listener.RunAsync(stoppingToken);
}
