using Broker.Ssm.Targets;

namespace Broker.Server.Targets;

/// <summary>An <c>ssm</c> target of the policy: how its sessions reach the instance, and the role whose credential must open it.</summary>
/// <param name="Settings">The instance, region, endpoint, documents and limits.</param>
/// <param name="RoleArn">When set, only a session whose AWS credential is for this IAM role may open the target.</param>
internal sealed record ConfiguredSsmTarget(SsmTargetSettings Settings, string? RoleArn);
