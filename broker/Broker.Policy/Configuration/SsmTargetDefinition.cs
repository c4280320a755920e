namespace Broker.Policy;

/// <summary>
/// Where an <c>ssm</c> target's sessions open: one instance (by id, or the one online instance with the
/// given tags), the SSM API's region and optional endpoint, the Session documents, and optionally the IAM
/// role whose credential must open it. Each broker session signs its SSM calls with its own assumed-role
/// credential (its role's <c>aws.role_arn</c>), never the broker's.
/// </summary>
public sealed record SsmTargetDefinition
{
    /// <summary>The default document of interactive sessions.</summary>
    public const string DefaultShellDocument = "SSM-SessionManagerRunShell";

    /// <summary>The default document of commands (exec).</summary>
    public const string DefaultCommandDocument = "AWS-StartNonInteractiveCommand";

    /// <summary>A fixed instance id (<c>i-…</c> or <c>mi-…</c>); null when <see cref="InstanceTags"/> select it.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Tags the one online instance must carry, resolved with DescribeInstanceInformation at each start.</summary>
    public IReadOnlyDictionary<string, string> InstanceTags { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The SSM API's region.</summary>
    public required string Region { get; init; }

    /// <summary>An endpoint to use instead of the region's public one (a private endpoint, an emulator).</summary>
    public Uri? EndpointUrl { get; init; }

    /// <summary>The Session document of interactive sessions.</summary>
    public string ShellDocument { get; init; } = DefaultShellDocument;

    /// <summary>The Session document of commands (a NonInteractiveCommands document with a <c>command</c> parameter).</summary>
    public string CommandDocument { get; init; } = DefaultCommandDocument;

    /// <summary>When set, only a session whose AWS credential is for this role may open the target.</summary>
    public string? RoleArn { get; init; }
}
