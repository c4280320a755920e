using Broker.Policy;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>How a decided command is written to a recording and told to the agent.</summary>
internal static class CommandRecords
{
    /// <summary>
    /// What the agent is shown for a command that did not run. Line mode does not hold commands yet, so a
    /// <c>review</c> there is refused as "approval required"; an exec's review is held instead (docs/approvals.md).
    /// </summary>
    public static string Refusal(Decision decision)
    {
        var why = decision.Verdict == Verdict.Review ? $"approval required: {decision.Reason}" : decision.Reason;
        return $"broker: {decision.VerdictName} by rule {decision.RuleId ?? "(default)"}: {why}";
    }

    /// <summary>How much of a refused oversized command's text its record keeps.</summary>
    private const int OversizedPrefixChars = 4096;

    /// <summary>A command that was decided before it ran.</summary>
    public static CommandRecord For(string text, Decision decision) => Fit(Build(text, decision, decision.Reason));

    /// <summary>A command typed in a raw terminal: what the policy would have decided; it ran regardless.</summary>
    public static CommandRecord Audited(string text, Decision decision) => Fit(Build(text, decision, $"audited, not enforced (raw terminal): {decision.Reason}"));

    /// <summary>
    /// A raw terminal's line longer than the auditor keeps (<see cref="CommandLineAssembler.MaxCommandBytes"/>): its
    /// start, marked as cut, and "deny", what line mode does with such a line. It ran regardless; its keystrokes are
    /// in the recording's input.
    /// </summary>
    public static CommandRecord AuditCut(string start) => new()
    {
        Text = start[..Math.Min(start.Length, OversizedPrefixChars)] + $"… [cut: the line was longer than {CommandLineAssembler.MaxCommandBytes} bytes]",
        Decision = "deny",
        Reason = $"audited, not enforced (raw terminal): the line was longer than {CommandLineAssembler.MaxCommandBytes} bytes, more than the audit keeps, so it was not decided; line mode refuses such a line",
    };

    /// <summary>Whether a command's text fits in a record at all (its facts can be left out; its text cannot).</summary>
    public static bool TextFits(string text) => RecordingWriter.CommandFits(new CommandRecord { Text = text, Decision = "deny" });

    /// <summary>Why a command whose text does not fit in a record is refused.</summary>
    public static string OversizedReason(string text) =>
        $"the command is {System.Text.Encoding.UTF8.GetByteCount(text)} bytes; a recording holds a command of at most {RecordingWriter.MaxStructuredPayloadBytes} bytes (as JSON), so it was refused before anything ran";

    /// <summary>The record of a command refused because its text does not fit: its start, and why.</summary>
    public static CommandRecord Oversized(string text) => new()
    {
        Text = text[..Math.Min(text.Length, OversizedPrefixChars)] + $"… [{text.Length - Math.Min(text.Length, OversizedPrefixChars)} more characters not recorded]",
        Decision = "deny",
        Reason = OversizedReason(text),
    };

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

    /// <summary>
    /// A record that fits: the parsed facts of a long command can be many times its text (every word is
    /// listed again), and they can be derived from the text again, so they go first; a text that still
    /// does not fit (only exec checks it beforehand) keeps its start.
    /// </summary>
    private static CommandRecord Fit(CommandRecord record)
    {
        if (RecordingWriter.CommandFits(record))
        {
            return record;
        }

        record = record with { FactsJson = """{"omitted":"the facts are larger than a record can hold; parse the text again"}""" };
        return RecordingWriter.CommandFits(record) ? record : record with { Text = Oversized(record.Text).Text };
    }
}
