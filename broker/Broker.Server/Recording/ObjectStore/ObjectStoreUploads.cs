using Amazon.Runtime;
using Broker.Server.Configuration;
using Recorder.ObjectStore;

namespace Broker.Server.Recording.ObjectStore;

/// <summary>
/// The recording storage the broker's settings ask for: the data directory alone, or with a bucket copy
/// (<c>server.recording.object_store</c>) and the uploader that keeps it, started and stopped with the host.
/// </summary>
internal sealed class ObjectStoreUploads : IHostedService, IAsyncDisposable
{
    private int _disposed;

    public ObjectStoreUploads(BrokerSettings settings, RecordingStore local, bool listBucket, ILogger<RecordingUploader> logger)
    {
        if (settings.Server.Recording.ObjectStore is not { } store)
        {
            Storage = local;
            return;
        }

        var credentials = store.Credentials is { } key ? new BasicAWSCredentials(key.AccessKeyId, key.SecretAccessKey) : null;
        var bucket = new RecordingBucket(BucketClient.Create(store.Endpoint, store.Region, store.PathStyle, credentials), new BucketAddress(store.Bucket, store.Prefix));
        // The store's outages are wall-clock events: a test's fake clock (settings.Time) must not hold retries back.
        Uploader = new RecordingUploader(bucket, local, TimeProvider.System, logger);
        Storage = new BucketRecordingStorage(local, Uploader, listBucket);
    }

    /// <summary>The uploader, or null without a bucket.</summary>
    public RecordingUploader? Uploader { get; }

    public IRecordingStorage Storage { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Uploader?.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Gives the uploads of sessions sealed at shutdown a few seconds, within the host's shutdown timeout (the
    /// sessions were ended and sealed by <c>BrokerShutdown</c> before any service stops); a broker stopped for good
    /// would otherwise keep their ends on its disk only.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        Uploader?.DrainAsync(TimeSpan.FromSeconds(5), cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // The container disposes this once as itself and once as the hosted service it also is.
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && Uploader is not null)
        {
            await Uploader.DisposeAsync().ConfigureAwait(false);
            Uploader.Bucket.Dispose();
        }
    }
}
