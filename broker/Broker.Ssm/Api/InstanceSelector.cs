namespace Broker.Ssm.Api;

/// <summary>Which instance a target opens sessions on: a fixed id, or the one online instance with the given tags.</summary>
public sealed record InstanceSelector
{
    /// <summary>A fixed instance id (i-… or mi-…).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Tags the instance must carry (all of them), resolved with DescribeInstanceInformation at each session start.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A selector for one instance id.</summary>
    /// <param name="instanceId">The id.</param>
    /// <returns>The selector.</returns>
    public static InstanceSelector ById(string instanceId) => new() { InstanceId = instanceId };

    /// <summary>A selector by tags.</summary>
    /// <param name="tags">The tags.</param>
    /// <returns>The selector.</returns>
    public static InstanceSelector ByTags(IReadOnlyDictionary<string, string> tags) => new() { Tags = tags };

    /// <summary>Says what is selected, for messages.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => InstanceId ?? "the instance tagged " + string.Join(", ", Tags.Select(t => $"{t.Key}={t.Value}"));
}
