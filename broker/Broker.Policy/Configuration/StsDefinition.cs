namespace Broker.Policy;

/// <summary>
/// How the broker reaches AWS STS and serves credentials to sessions, as written in the policy's
/// top-level <c>sts</c> section; the server maps it to <c>Broker.Identity.Aws.StsSettings</c>.
/// </summary>
public sealed record StsDefinition
{
    /// <summary>An STS endpoint override (tests, air-gapped installs, VPC endpoints); null for the region's public endpoint.</summary>
    public Uri? ServiceUrl { get; init; }

    /// <summary>The region STS requests are signed for when a role names none.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The timeout of one STS request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The 127.0.0.1 port of the sessions' container-credentials endpoint; 0 picks a free one when the broker starts.</summary>
    public int CredentialsEndpointPort { get; init; }
}
