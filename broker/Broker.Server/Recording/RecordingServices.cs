using Broker.Server.Configuration;
using Broker.Server.Recording.ObjectStore;
using Broker.Server.Replicas;
using Npgsql;

namespace Broker.Server.Recording;

/// <summary>
/// Registers the recording store, its index, live attach and index maintenance. Each part reads the settings from the
/// container when it is built, not from a copy captured at registration, so a settings object a test puts in place
/// reaches every one of them.
/// </summary>
internal static class RecordingServices
{
    /// <param name="services">The container.</param>
    /// <param name="sharedStore">
    /// True on PostgreSQL (<c>server.store.postgres</c>): the index is the replicas' shared one, and the bucket is not
    /// listed at start (the index knows every recording in it).
    /// </param>
    public static IServiceCollection AddRecordings(this IServiceCollection services, bool sharedStore)
    {
        services.AddSingleton(sp => new RecordingStore(Settings(sp).DataDirectory, Settings(sp).Recording, Settings(sp).SigningKeyPath));
        services.AddSingleton(sp => new ObjectStoreUploads(Settings(sp), sp.GetRequiredService<RecordingStore>(), listBucket: !sharedStore, sp.GetRequiredService<ILogger<RecordingUploader>>()));
        services.AddSingleton(sp => sp.GetRequiredService<ObjectStoreUploads>().Storage);
        services.AddHostedService(sp => sp.GetRequiredService<ObjectStoreUploads>());
        if (sharedStore)
        {
            // The index and every replica's public key in the shared database; the key is published at start.
            services.AddSingleton<IRecordingIndex>(sp => new PostgresRecordingIndex(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ReplicaIdentity>().Id));
            services.AddSingleton(sp => new PostgresRecordingKeys(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<RecordingStore>(), sp.GetRequiredService<ReplicaIdentity>().Id));
            services.AddSingleton<IRecordingKeys>(sp => sp.GetRequiredService<PostgresRecordingKeys>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresRecordingKeys>());
        }
        else
        {
            // Written behind the session's path; this broker is its only reader, and every read writes the queue first.
            services.AddSingleton<IRecordingIndex>(sp => new QueuedRecordingIndex(
                new SqliteRecordingIndex(Path.Combine(Settings(sp).DataDirectory, SqliteRecordingIndex.FileName)),
                sp.GetRequiredService<ILogger<QueuedRecordingIndex>>()));
        }

        // The free space is a wall-clock reading: a test's fake clock must not drive it.
        services.AddSingleton(sp => new DataDirectorySpace(Settings(sp).DataDirectory, Settings(sp).Server.Recording.MinFreeBytes, TimeProvider.System, sp.GetRequiredService<ILogger<DataDirectorySpace>>()));
        services.AddSingleton(sp => new RecordingLimits(
            Settings(sp).TargetLimits.ToDictionary(t => t.Key, t => t.Value.MaxRecordingBytes, StringComparer.Ordinal),
            Settings(sp).Server.Recording.MinFreeBytes > 0 ? sp.GetRequiredService<DataDirectorySpace>() : null));
        services.AddSingleton(sp => new RecordingCatalog(
            sp.GetRequiredService<IRecordingStorage>(),
            sp.GetRequiredService<IRecordingIndex>(),
            Settings(sp).Time,
            sp.GetRequiredService<ILogger<RecordingCatalog>>(),
            sp.GetRequiredService<RecordingLimits>(),
            sp.GetService<IRecordingKeys>(),
            sp.GetService<Audit.AuditTrail>()));
        services.AddSingleton(sp => new RecordingFeed(sp.GetRequiredService<RecordingCatalog>(), Settings(sp).AttachBufferEvents));
        services.AddSingleton(sp => new RecordingMaintenance(
            sp.GetRequiredService<RecordingCatalog>(),
            Settings(sp).RecordingRetention,
            Settings(sp).RetentionSweepInterval,
            Settings(sp).Time,
            sp.GetRequiredService<ILogger<RecordingMaintenance>>()));
        services.AddHostedService(sp => sp.GetRequiredService<RecordingMaintenance>());
        return services;
    }

    private static BrokerSettings Settings(IServiceProvider services) => services.GetRequiredService<BrokerSettings>();
}
