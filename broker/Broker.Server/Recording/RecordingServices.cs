using Broker.Server.Configuration;

namespace Broker.Server.Recording;

/// <summary>Registers the recording store, its index, live attach and index maintenance.</summary>
internal static class RecordingServices
{
    public static IServiceCollection AddRecordings(this IServiceCollection services, BrokerSettings settings)
    {
        services.AddSingleton(_ => new RecordingStore(settings.DataDirectory, settings.Recording));
        services.AddSingleton<IRecordingStorage>(sp => sp.GetRequiredService<RecordingStore>());
        services.AddSingleton<IRecordingIndex>(_ => new SqliteRecordingIndex(Path.Combine(settings.DataDirectory, SqliteRecordingIndex.FileName)));
        services.AddSingleton<RecordingCatalog>();
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
