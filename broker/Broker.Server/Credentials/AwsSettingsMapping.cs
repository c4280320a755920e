using Broker.Identity.Aws;
using Broker.Policy;

namespace Broker.Server.Credentials;

/// <summary>Maps the policy's STS section to the identity library's settings (the policy library knows nothing of the AWS SDK).</summary>
internal static class AwsSettingsMapping
{
    public static StsSettings ToSettings(this StsDefinition sts) => new()
    {
        ServiceUrl = sts.ServiceUrl,
        Region = sts.Region,
        RequestTimeout = sts.RequestTimeout,
    };
}
