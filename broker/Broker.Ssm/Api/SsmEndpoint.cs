namespace Broker.Ssm.Api;

/// <summary>Where the SSM API is: a region, and optionally another endpoint (a private endpoint, an emulator).</summary>
/// <param name="Region">The region (signing scope, and the endpoint when <paramref name="ServiceUrl"/> is not given).</param>
/// <param name="ServiceUrl">An endpoint to use instead of the region's public one.</param>
public sealed record SsmEndpoint(string Region, Uri? ServiceUrl = null)
{
    /// <summary>How long one API call may take (retries included).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
