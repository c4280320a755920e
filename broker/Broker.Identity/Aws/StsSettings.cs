namespace Broker.Identity.Aws;

/// <summary>How the broker reaches STS. Its base credentials are passed to <see cref="AwsCredentialBroker"/> (null there means the SDK's default chain).</summary>
public sealed record StsSettings
{
    /// <summary>An STS endpoint override (tests, air-gapped installs, VPC endpoints); null for the region's public endpoint.</summary>
    public Uri? ServiceUrl { get; init; }

    /// <summary>The region STS requests are signed for when a role names none.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The timeout of one STS request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the settings.</summary>
    /// <returns>The problems found; empty when usable.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Region))
        {
            problems.Add("sts: region is empty");
        }

        if (ServiceUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
        {
            problems.Add($"sts: service URL '{url}' is not an absolute http(s) URL");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add("sts: request timeout must be positive");
        }

        return problems;
    }
}
