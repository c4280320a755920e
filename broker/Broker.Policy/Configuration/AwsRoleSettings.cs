namespace Broker.Policy;

/// <summary>The IAM role a session assumes and how.</summary>
public sealed record AwsRoleSettings
{
    /// <summary>The IAM role ARN.</summary>
    public required string RoleArn { get; init; }

    /// <summary>Credential lifetime, 15 minutes to 12 hours.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>An inline session policy (JSON text, validated at load), or null.</summary>
    public string? SessionPolicy { get; init; }

    /// <summary>Extra session tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>The AWS region for the session, or null for the default.</summary>
    public string? Region { get; init; }
}
