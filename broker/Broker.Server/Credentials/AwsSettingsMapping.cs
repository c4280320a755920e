using Broker.Identity.Aws;
using Broker.Policy;
using PolicyAws = Broker.Policy.AwsRoleSettings;

namespace Broker.Server.Credentials;

/// <summary>Maps the policy's AWS settings to the identity library's types (the policy library knows nothing of the AWS SDK).</summary>
internal static class AwsSettingsMapping
{
    public static StsSettings ToSettings(this StsDefinition sts) => new()
    {
        ServiceUrl = sts.ServiceUrl,
        Region = sts.Region,
        RequestTimeout = sts.RequestTimeout,
    };

    public static Identity.Aws.AwsRoleSettings ToSettings(this PolicyAws role) => new()
    {
        RoleArn = role.RoleArn,
        Duration = role.Duration,
        SessionPolicy = role.SessionPolicy,
        Tags = role.Tags,
        Region = role.Region,
    };
}
