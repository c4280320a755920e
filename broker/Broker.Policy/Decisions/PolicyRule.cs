using Broker.Policy.Decisions;

namespace Broker.Policy;

/// <summary>One rule of a role: an action (allow, review, deny), its conditions, and its inline examples.</summary>
internal sealed class PolicyRule
{
    internal PolicyRule(string id, Verdict action, string? reason, RuleMatcher matcher, IReadOnlyList<string> matchExamples, IReadOnlyList<string> notMatchExamples)
    {
        Id = id;
        Action = action;
        Reason = reason;
        Matcher = matcher;
        MatchExamples = matchExamples;
        NotMatchExamples = notMatchExamples;
        // Built once: every decision the rule makes gives this reason.
        DecisionReason = reason ?? action switch
        {
            Verdict.Allow => $"allowed by rule '{id}'",
            Verdict.Review => $"held for review by rule '{id}'",
            _ => $"denied by rule '{id}'",
        };
    }

    /// <summary>The rule's id (given in the file, or <c>ROLE#N</c> for the N-th rule).</summary>
    public string Id { get; }

    /// <summary>What the rule decides when it matches.</summary>
    public Verdict Action { get; }

    /// <summary>The human reason given in the file, if any.</summary>
    public string? Reason { get; }

    /// <summary>Commands the rule must match.</summary>
    public IReadOnlyList<string> MatchExamples { get; }

    /// <summary>Commands the rule must not match.</summary>
    public IReadOnlyList<string> NotMatchExamples { get; }

    internal RuleMatcher Matcher { get; }

    /// <summary>The reason a decision by this rule gives: the file's, or one naming the rule.</summary>
    internal string DecisionReason { get; }
}
