namespace Broker.Policy;

/// <summary>Who approves a role's held commands.</summary>
public sealed record ApproverSettings
{
    /// <summary>Groups whose members may approve.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>How many distinct approvals a command needs (ignored when <see cref="OneFromEachGroup"/>).</summary>
    public int Quorum { get; init; } = 1;

    /// <summary>True for <c>quorum: each-group</c>: one distinct approver from every listed group.</summary>
    public bool OneFromEachGroup { get; init; }

    /// <summary>How long a held command waits before it expires (denied).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an approval may wait to be used before it expires.</summary>
    public TimeSpan ExecutionWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Claims an approver's token must carry (every listed value among the claim's values), e.g. <c>amr: [mfa]</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredClaims { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Where the role's approval events are posted.</summary>
    public IReadOnlyList<WebhookDefinition> Webhooks { get; init; } = [];
}

/// <summary>A webhook that receives approval events, signed with a shared secret.</summary>
public sealed record WebhookDefinition
{
    /// <summary>The absolute http(s) URL events are posted to.</summary>
    public required Uri Url { get; init; }

    /// <summary>The HMAC-SHA256 key (read from <c>secret_file</c> or <c>secret_env</c> when the policy loads).</summary>
    public required byte[] Secret { get; init; }
}
