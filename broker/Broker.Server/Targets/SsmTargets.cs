using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Ssm.Api;
using Broker.Ssm.Targets;

namespace Broker.Server.Targets;

/// <summary>Turns a policy's <c>ssm</c> target into the SSM client's settings.</summary>
internal static class SsmTargets
{
    public static SsmTargetSettings Settings(string name, SsmTargetDefinition definition, SessionLimits limits) => new()
    {
        Name = name,
        Instance = definition.InstanceId is { } id ? InstanceSelector.ById(id) : InstanceSelector.ByTags(definition.InstanceTags),
        Endpoint = new SsmEndpoint(definition.Region, definition.EndpointUrl),
        ShellDocument = definition.ShellDocument,
        CommandDocument = definition.CommandDocument,
        Limits = limits,
    };

    /// <summary>The start-up log's line for the target.</summary>
    public static string Describe(SsmTargetSettings target, string? roleArn) =>
        $"target '{target.Name}' opens SSM sessions on {target.Instance} in {target.Endpoint.Region}"
        + (target.Endpoint.ServiceUrl is { } url ? $" through {url}" : string.Empty)
        + $", signed with each session's own AWS role credential{(roleArn is null ? string.Empty : $" (only {roleArn})")}";
}
