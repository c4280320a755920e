using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Broker.Policy;

/// <summary>The decision for a whole command line: the strictest over every simple command in it.</summary>
public sealed class Decision
{
    internal Decision(Verdict verdict, string? ruleId, string reason, string? role, DecisionFacts facts)
    {
        Verdict = verdict;
        RuleId = ruleId;
        Reason = reason;
        Role = role;
        Facts = facts;
    }

    /// <summary>A denial by a check of the broker's own (<paramref name="ruleId"/> in parentheses, e.g. a line-mode limit), before any rule.</summary>
    public static Decision Refused(string ruleId, string reason) => new(Verdict.Deny, ruleId, reason, null, new DecisionFacts([], [], []));

    /// <summary>
    /// What a <c>review</c> becomes once people approved it: allow, by the same rule and role, with the same facts
    /// (so a command that prints a secret is still treated as one), and <paramref name="reason"/> saying who approved.
    /// </summary>
    public Decision Approved(string reason)
    {
        if (Verdict != Verdict.Review)
        {
            throw new InvalidOperationException("only a review decision can be approved");
        }

        return new Decision(Verdict.Allow, RuleId, reason, Role, Facts);
    }

    /// <summary>Allow, review or deny.</summary>
    public Verdict Verdict { get; }

    /// <summary>
    /// The rule that decided: a rule id of the policy, <c>default</c> for the role's default, or a built-in check in
    /// parentheses (<c>(parse)</c>, <c>(construct)</c>, <c>(evaluation-context)</c>, <c>(shell-variable)</c>,
    /// <c>(protected-path)</c>, <c>(no-role)</c>, <c>(line-mode) …</c>). Null only for an empty command's allow.
    /// </summary>
    public string? RuleId { get; }

    /// <summary>A human reason.</summary>
    public string Reason { get; }

    /// <summary>The role whose rules decided, or null when no role applies.</summary>
    public string? Role { get; }

    /// <summary>What was found in the command.</summary>
    public DecisionFacts Facts { get; }

    /// <summary>The verdict as the lower-case word used in JSON and the CLI.</summary>
    public string VerdictName => Verdict switch
    {
        Verdict.Allow => "allow",
        Verdict.Review => "review",
        _ => "deny",
    };

    /// <summary><c>{"decision":…,"rule":…,"reason":…,"role":…,"facts":{…}}</c> on one line.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("decision", VerdictName);
            writer.WriteString("rule", RuleId);
            writer.WriteString("reason", Reason);
            writer.WriteString("role", Role);
            writer.WriteStartObject("facts");
            writer.WriteStartArray("programs");
            foreach (var program in Facts.Programs)
            {
                writer.WriteStringValue(program);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("aws_actions");
            foreach (var action in Facts.AwsActions)
            {
                writer.WriteStringValue(action);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("constructs");
            foreach (var construct in Facts.Constructs)
            {
                writer.WriteStartObject();
                writer.WriteString("name", construct.Name);
                writer.WriteString("detail", construct.Detail);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("effects");
            foreach (var effect in Facts.Effects)
            {
                writer.WriteStringValue(effect);
            }

            writer.WriteEndArray();
            writer.WriteBoolean("secret_output", Facts.SecretOutput);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <inheritdoc />
    public override string ToString() => $"{VerdictName} ({RuleId ?? "-"}): {Reason}";
}
