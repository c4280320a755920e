using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Recorder.ObjectStore;

/// <summary>Builds the S3 client for a bucket: AWS itself, or any S3-compatible service at an endpoint.</summary>
public static class BucketClient
{
    /// <summary>Creates a client.</summary>
    /// <param name="endpoint">An S3-compatible service's address, or null for AWS (the region's endpoint).</param>
    /// <param name="region">The region (signing region for an endpoint), or null for the SDK's default.</param>
    /// <param name="pathStyle">Address buckets as <c>endpoint/bucket</c> instead of <c>bucket.endpoint</c>.</param>
    /// <param name="credentials">Fixed credentials, or null for the SDK's default chain (environment, profile, instance role).</param>
    /// <returns>The client; the caller disposes it.</returns>
    public static IAmazonS3 Create(Uri? endpoint, string? region, bool pathStyle, AWSCredentials? credentials)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = pathStyle,
            Timeout = TimeSpan.FromSeconds(30),
            // Checksums only where S3 demands them: S3-compatible services do not all know the newer trailers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
