using Amazon.Runtime;
using Recorder.ObjectStore;

namespace Replay.Sources;

/// <summary>
/// A recording in an S3-compatible bucket, named as the broker's index names it:
/// <c>s3://bucket/prefix/recordings/SESSION_ID</c>. The client takes the SDK's default credentials and region
/// (environment, profile, instance role); <paramref name="endpoint"/> names an S3-compatible service, addressed
/// path-style as most of them expect.
/// </summary>
internal sealed class BucketSourceResolver(Uri? endpoint) : IRecordingSourceResolver
{
    public async ValueTask<SourceResolution?> ResolveAsync(string location, CancellationToken cancellationToken)
    {
        if (!location.StartsWith(BucketAddress.Scheme, StringComparison.Ordinal))
        {
            return null;
        }

        if (!BucketAddress.TryParseLocation(location, out var address, out var sessionId))
        {
            return SourceResolution.Failed($"{location} is not a recording in a bucket (s3://bucket/prefix/recordings/SESSION_ID)");
        }

        var bucket = new RecordingBucket(BucketClient.Create(endpoint, Environment.GetEnvironmentVariable("AWS_REGION"), pathStyle: endpoint is not null, credentials: null), address);
        try
        {
            var parts = RecordingPart.Contiguous(await bucket.ListPartsAsync(sessionId, cancellationToken).ConfigureAwait(false));
            if (parts.Count == 0)
            {
                bucket.Dispose();
                return SourceResolution.Failed($"no recording of session {sessionId} in {location}");
            }

            return new SourceResolution([new BucketRecordingSource(bucket, sessionId, location, parts[^1].End)]);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            bucket.Dispose();
            return SourceResolution.Failed($"cannot read {location}: {e.Message}");
        }
    }

    /// <summary>One recording's parts, downloaded into a temporary file when opened (verification rewinds).</summary>
    private sealed class BucketRecordingSource(RecordingBucket bucket, string sessionId, string location, long length) : IRecordingSource
    {
        public string Name => location;

        public long? Length => length;

        public async ValueTask<Stream> OpenAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await bucket.DownloadToTemporaryFileAsync(sessionId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                throw new IOException($"cannot read {location}: {e.Message}", e);
            }
        }
    }
}
