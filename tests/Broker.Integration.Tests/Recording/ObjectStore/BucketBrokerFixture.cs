using Broker.Integration.Tests.Fixtures;
using Broker.Policy;
using Broker.Server.Configuration;
using Broker.TestSupport.ObjectStore;
using Recorder.ObjectStore;

namespace Broker.Integration.Tests.Recording.ObjectStore;

/// <summary>
/// The dev broker with <c>server.recording.object_store</c> pointing at a real S3-compatible server (s3rver) on
/// loopback, signed with an access key; and a client of that bucket for the tests to look into it.
/// </summary>
public class BucketBrokerFixture : BrokerFixture
{
    public S3ServerFixture S3 { get; private set; } = null!;

    /// <summary>The test's own view of the bucket (the broker has its own client).</summary>
    public RecordingBucket Bucket { get; private set; } = null!;

    /// <summary>Recordings older than this are deleted by a sweep, or null to keep them.</summary>
    private protected TimeSpan? Retention { get; init; }

    public override async Task InitializeAsync()
    {
        S3 = await S3ServerFixture.StartAsync();
        var address = new BucketAddress(S3.Bucket, "team/broker");
        Bucket = new RecordingBucket(
            BucketClient.Create(S3.Endpoint, "us-east-1", pathStyle: true, new Amazon.Runtime.BasicAWSCredentials(S3ServerFixture.AccessKeyId, S3ServerFixture.SecretAccessKey)),
            address);
        await base.InitializeAsync();
    }

    private protected override BrokerSettings Configure(BrokerSettings settings)
    {
        var store = new ObjectStoreDefinition
        {
            Bucket = S3.Bucket,
            Prefix = Bucket.Address.Prefix,
            Endpoint = S3.Endpoint,
            Region = "us-east-1",
            PathStyle = true,
            Credentials = new ObjectStoreCredentials(S3ServerFixture.AccessKeyId, S3ServerFixture.SecretAccessKey),
        };
        settings = settings with { Server = settings.Server with { Recording = settings.Server.Recording with { ObjectStore = store } } };
        return Retention is null ? settings : settings with { RecordingRetention = Retention, RetentionSweepInterval = TimeSpan.FromHours(1) };
    }

    /// <summary>Polls the bucket until it holds <paramref name="length"/> contiguous bytes of the recording (never a guessed sleep).</summary>
    public async Task WaitForUploadAsync(string sessionId, long length, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        long uploaded = 0;
        while (true)
        {
            try
            {
                var parts = RecordingPart.Contiguous(await Bucket.ListPartsAsync(sessionId, cts.Token));
                uploaded = parts.Count == 0 ? 0 : parts[^1].End;
                if (uploaded >= length)
                {
                    return;
                }

                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"the bucket holds {uploaded} of the {length} bytes of {sessionId} after {timeout}");
            }
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Bucket?.Dispose();
        if (S3 is not null)
        {
            await S3.DisposeAsync();
        }
    }
}

/// <summary>The bucket broker with a retention of one millisecond (swept only when a test asks).</summary>
public sealed class ShortRetentionBucketBrokerFixture : BucketBrokerFixture
{
    public ShortRetentionBucketBrokerFixture()
    {
        Retention = TimeSpan.FromMilliseconds(1);
    }
}
