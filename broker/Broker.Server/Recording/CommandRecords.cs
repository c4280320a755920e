using Broker.Policy;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>How a decided command is written to a recording and told to the agent.</summary>
internal static class CommandRecords
{
    /// <summary>
    /// What the agent is shown for a command that did not run. Until the approval workflow exists,
    /// a command held for review does not run either.
    /// </summary>
    public static string Refusal(Decision decision)
    {
        var why = decision.Verdict == Verdict.Review ? $"approval required: {decision.Reason}" : decision.Reason;
        return $"broker: {decision.VerdictName} by rule {decision.RuleId ?? "(default)"}: {why}";
    }

    /// <summary>A command that was decided before it ran.</summary>
    public static CommandRecord For(string text, Decision decision) => Build(text, decision, decision.Reason);

    /// <summary>A command typed in a raw terminal: what the policy would have decided; it ran regardless.</summary>
    public static CommandRecord Audited(string text, Decision decision) => Build(text, decision, $"audited, not enforced (raw terminal): {decision.Reason}");

    private static CommandRecord Build(string text, Decision decision, string reason)
    {
        using var json = System.Text.Json.JsonDocument.Parse(decision.ToJson());
        return new CommandRecord
        {
            Text = text,
            FactsJson = json.RootElement.GetProperty("facts").GetRawText(),
            Decision = decision.VerdictName,
            RuleId = decision.RuleId,
            Reason = reason,
        };
    }
}
