using Broker.Policy;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>How a decided command is written to a recording.</summary>
internal static class CommandRecords
{
    public static CommandRecord For(string text, Decision decision)
    {
        using var json = System.Text.Json.JsonDocument.Parse(decision.ToJson());
        return new CommandRecord
        {
            Text = text,
            FactsJson = json.RootElement.GetProperty("facts").GetRawText(),
            Decision = decision.VerdictName,
            RuleId = decision.RuleId,
            Reason = decision.Reason,
        };
    }
}
