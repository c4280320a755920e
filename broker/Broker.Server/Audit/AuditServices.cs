using Broker.Approvals;
using Broker.Server.Configuration;
using Broker.Server.Replicas;
using Npgsql;

namespace Broker.Server.Audit;

/// <summary>
/// Registers the audit log (<c>audit.db</c> in the data directory, or the replicas' shared table on PostgreSQL), the
/// trail that writes it off the sessions' path, and the approval listener that feeds it. Retention is the recordings'
/// (<c>--recording-retention-days</c>): an event is kept as long as the recording it points into.
/// </summary>
internal static class AuditServices
{
    public static IServiceCollection AddAudit(this IServiceCollection services, bool sharedStore)
    {
        if (sharedStore)
        {
            services.AddSingleton<IAuditLog>(sp => new PostgresAuditLog(sp.GetRequiredService<NpgsqlDataSource>()));
        }
        else
        {
            services.AddSingleton<IAuditLog>(sp => new SqliteAuditLog(Path.Combine(sp.GetRequiredService<BrokerSettings>().DataDirectory, SqliteAuditLog.FileName)));
        }

        services.AddSingleton(sp => new AuditTrail(
            sp.GetRequiredService<IAuditLog>(),
            sp.GetService<ReplicaIdentity>()?.Id ?? Environment.MachineName,
            sp.GetRequiredService<BrokerSettings>().Time,
            sp.GetRequiredService<BrokerSettings>().RecordingRetention,
            sp.GetRequiredService<BrokerSettings>().RetentionSweepInterval,
            sp.GetRequiredService<ILogger<AuditTrail>>()));
        services.AddHostedService(sp => sp.GetRequiredService<AuditTrail>());
        services.AddSingleton<IApprovalListener>(sp => new AuditApprovalListener(sp.GetRequiredService<AuditTrail>()));
        return services;
    }
}
