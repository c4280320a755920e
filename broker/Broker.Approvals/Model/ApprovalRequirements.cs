using Broker.Policy;

namespace Broker.Approvals;

/// <summary>
/// Who may approve a request and for how long it lives, taken from the role's <c>approvers</c> when the request is
/// made and kept with it, so that a decision is judged by the rules the requester was told.
/// </summary>
public sealed record ApprovalRequirements
{
    /// <summary>Groups (the <c>groups</c> claim) whose members may decide.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>Distinct approvers needed (ignored when <see cref="OneFromEachGroup"/>).</summary>
    public int Quorum { get; init; } = 1;

    /// <summary>True when the quorum is one distinct approver from each of <see cref="Groups"/>.</summary>
    public bool OneFromEachGroup { get; init; }

    /// <summary>Claims an approver's token must carry: each listed value must be among the claim's values.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredClaims { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>How long a request waits for a decision.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an approval may wait to be used.</summary>
    public TimeSpan ExecutionWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The requirements of a role's approver settings.</summary>
    public static ApprovalRequirements From(ApproverSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ApprovalRequirements
        {
            Groups = settings.Groups,
            Quorum = settings.Quorum,
            OneFromEachGroup = settings.OneFromEachGroup,
            RequiredClaims = settings.RequiredClaims,
            Timeout = settings.Timeout,
            ExecutionWindow = settings.ExecutionWindow,
        };
    }

    /// <summary>How many approvals complete the quorum.</summary>
    public int ApprovalsNeeded => OneFromEachGroup ? Groups.Count : Quorum;
}
