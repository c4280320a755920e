using Broker.Server.Configuration;

namespace Broker.Server.Recording;

/// <summary>Registers the recording store, its index, live attach and index maintenance.</summary>
internal static class RecordingServices
{
    public static IServiceCollection AddRecordings(this IServiceCollection services, BrokerSettings settings)
    {
        services.AddSingleton(_ => new RecordingStore(settings.DataDirectory, settings.Recording, settings.SigningKeyPath));
        services.AddSingleton<IRecordingStorage>(sp => sp.GetRequiredService<RecordingStore>());
        services.AddSingleton<IRecordingIndex>(_ => new SqliteRecordingIndex(Path.Combine(settings.DataDirectory, SqliteRecordingIndex.FileName)));
        // The free space is a wall-clock reading: a test's fake clock must not drive it.
        services.AddSingleton(sp => new DataDirectorySpace(settings.DataDirectory, settings.Server.Recording.MinFreeBytes, TimeProvider.System, sp.GetRequiredService<ILogger<DataDirectorySpace>>()));
        services.AddSingleton(sp => new RecordingLimits(
            settings.TargetLimits.ToDictionary(t => t.Key, t => t.Value.MaxRecordingBytes, StringComparer.Ordinal),
            settings.Server.Recording.MinFreeBytes > 0 ? sp.GetRequiredService<DataDirectorySpace>() : null));
        services.AddSingleton(sp => new RecordingCatalog(
            sp.GetRequiredService<IRecordingStorage>(),
            sp.GetRequiredService<IRecordingIndex>(),
            settings.Time,
            sp.GetRequiredService<ILogger<RecordingCatalog>>(),
            sp.GetRequiredService<RecordingLimits>()));
        services.AddSingleton(sp => new RecordingFeed(sp.GetRequiredService<RecordingCatalog>(), settings.AttachBufferEvents));
        services.AddSingleton(sp => new RecordingMaintenance(
            sp.GetRequiredService<RecordingCatalog>(),
            settings.RecordingRetention,
            settings.RetentionSweepInterval,
            settings.Time,
            sp.GetRequiredService<ILogger<RecordingMaintenance>>()));
        services.AddHostedService(sp => sp.GetRequiredService<RecordingMaintenance>());
        return services;
    }
}
