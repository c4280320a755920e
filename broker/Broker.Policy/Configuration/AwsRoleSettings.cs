using System.Text.Json;
using System.Text.RegularExpressions;

namespace Broker.Policy;

/// <summary>
/// The IAM role a session assumes and how, with STS's limits on each setting: the one definition of these rules, used
/// by the policy reader (which reports them with file and line) and by the credential broker before it calls STS.
/// </summary>
public sealed partial record AwsRoleSettings
{
    /// <summary>The shortest duration STS accepts.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromMinutes(15);

    /// <summary>The longest duration STS accepts (the role's own maximum may be lower).</summary>
    public static readonly TimeSpan MaximumDuration = TimeSpan.FromHours(12);

    /// <summary>The session tags the broker sets on every AssumeRole itself; a role may not set them.</summary>
    public static readonly IReadOnlyList<string> ReservedTagKeys = ["agent", "issuer", "session", "role"];

    /// <summary>How many extra tags fit beside the broker's own (STS allows 50 in all).</summary>
    public static int MaximumExtraTags => 50 - ReservedTagKeys.Count;

    /// <summary>The longest inline session policy STS accepts, in characters.</summary>
    public const int MaximumSessionPolicyLength = 2048;

    /// <summary>The IAM role ARN, e.g. <c>arn:aws:iam::123456789012:role/agent-readonly</c>.</summary>
    public required string RoleArn { get; init; }

    /// <summary>Credential lifetime, 15 minutes to 12 hours; one hour unless the policy says otherwise.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>An inline session policy (JSON text, validated at load), or null.</summary>
    public string? SessionPolicy { get; init; }

    /// <summary>Extra session tags; the broker's own keys (<see cref="ReservedTagKeys"/>) may not be used.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>The AWS region for the session, or null for the default.</summary>
    public string? Region { get; init; }

    /// <summary>Whether <paramref name="arn"/> is an IAM role ARN STS accepts (a role name of at most 512 characters with its path).</summary>
    public static bool IsRoleArn(string? arn) => arn is not null && RoleArnPattern().IsMatch(arn);

    /// <summary>Whether <paramref name="key"/> is the broker's own tag or AWS's (<c>aws:</c>).</summary>
    public static bool IsReservedTagKey(string key) =>
        ReservedTagKeys.Contains(key, StringComparer.OrdinalIgnoreCase) || key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a tag's key and value are within STS's lengths and characters.</summary>
    public static bool IsValidTag(string key, string value) =>
        key.Length is >= 1 and <= 128 && value.Length <= 256 && TagTextPattern().IsMatch(key) && TagTextPattern().IsMatch(value);

    /// <summary>The problem with an inline session policy, or null when STS can take it.</summary>
    public static string? SessionPolicyProblem(string policy)
    {
        if (policy.Length > MaximumSessionPolicyLength)
        {
            return $"session_policy is longer than the {MaximumSessionPolicyLength} characters STS accepts";
        }

        try
        {
            using var json = JsonDocument.Parse(policy);
            return json.RootElement.ValueKind == JsonValueKind.Object ? null : "session_policy must be a JSON object";
        }
        catch (JsonException e)
        {
            return "session_policy is not valid JSON: " + e.Message;
        }
    }

    /// <summary>Checks the settings against STS's limits.</summary>
    /// <returns>The problems found; empty when usable.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!IsRoleArn(RoleArn))
        {
            problems.Add($"aws.role_arn '{RoleArn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
        }

        if (Duration < MinimumDuration || Duration > MaximumDuration || Duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add($"aws.duration {Duration} must be whole seconds between 15 minutes and 12 hours");
        }

        if (SessionPolicy is not null && SessionPolicyProblem(SessionPolicy) is { } policyProblem)
        {
            problems.Add("aws." + policyProblem);
        }

        if (Tags.Count > MaximumExtraTags)
        {
            problems.Add($"aws.tags has {Tags.Count} tags; at most {MaximumExtraTags} fit beside the broker's own");
        }

        foreach (var (key, value) in Tags)
        {
            if (IsReservedTagKey(key))
            {
                problems.Add($"aws.tags key '{key}' is reserved");
            }
            else if (!IsValidTag(key, value))
            {
                problems.Add($"aws.tags '{key}': keys are 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@");
            }
        }

        return problems;
    }

    [GeneratedRegex(@"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")]
    private static partial Regex RoleArnPattern();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex TagTextPattern();
}
