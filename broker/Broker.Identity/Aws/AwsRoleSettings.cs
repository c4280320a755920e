using System.Text.Json;
using System.Text.RegularExpressions;

namespace Broker.Identity.Aws;

/// <summary>The AWS side of a broker role: which IAM role its sessions assume, and how.</summary>
public sealed partial record AwsRoleSettings
{
    /// <summary>The shortest duration STS accepts.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromMinutes(15);

    /// <summary>The longest duration STS accepts (the role's own maximum may be lower).</summary>
    public static readonly TimeSpan MaximumDuration = TimeSpan.FromHours(12);

    /// <summary>The IAM role to assume, e.g. <c>arn:aws:iam::123456789012:role/agent-readonly</c>.</summary>
    public required string RoleArn { get; init; }

    /// <summary>How long each issued credential lives; between 15 minutes and 12 hours.</summary>
    public TimeSpan Duration { get; init; } = MinimumDuration;

    /// <summary>An inline session policy (JSON) that narrows the role further; null for none.</summary>
    public string? SessionPolicy { get; init; }

    /// <summary>Extra session tags; the broker's own keys (<see cref="AwsCredentialBroker.ReservedTagKeys"/>) may not be used.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>The STS region for this role; null for <see cref="StsSettings.Region"/>.</summary>
    public string? Region { get; init; }

    /// <summary>Checks the settings against STS's limits.</summary>
    /// <returns>The problems found; empty when usable.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (RoleArn is null || !RoleArnPattern().IsMatch(RoleArn))
        {
            problems.Add($"aws.role_arn '{RoleArn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
        }

        if (Duration < MinimumDuration || Duration > MaximumDuration || Duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add($"aws.duration {Duration} must be whole seconds between 15 minutes and 12 hours");
        }

        if (SessionPolicy is not null)
        {
            if (SessionPolicy.Length > 2048)
            {
                problems.Add("aws.session_policy is longer than 2048 characters");
            }
            else if (!IsJsonObject(SessionPolicy))
            {
                problems.Add("aws.session_policy is not a JSON object");
            }
        }

        if (Tags.Count + AwsCredentialBroker.ReservedTagKeys.Count > 50)
        {
            problems.Add($"aws.tags has {Tags.Count} tags; at most {50 - AwsCredentialBroker.ReservedTagKeys.Count} fit beside the broker's own");
        }

        foreach (var (key, value) in Tags)
        {
            if (AwsCredentialBroker.ReservedTagKeys.Contains(key, StringComparer.OrdinalIgnoreCase) || key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"aws.tags key '{key}' is reserved");
            }
            else if (key.Length is < 1 or > 128 || value.Length > 256 || !TagTextPattern().IsMatch(key) || !TagTextPattern().IsMatch(value))
            {
                problems.Add($"aws.tags '{key}': keys are 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@");
            }
        }

        return problems;
    }

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")]
    private static partial Regex RoleArnPattern();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    internal static partial Regex TagTextPattern();
}
