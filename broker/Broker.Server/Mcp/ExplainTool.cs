using System.ComponentModel;
using Broker.Server.Composition;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp;

/// <summary>The <c>explain</c> tool: how the policy decides a command for the caller on a target, without running it.</summary>
[McpServerToolType]
internal sealed class ExplainTool(SessionComposer composer)
{
    [McpServerTool(Name = "explain", ReadOnly = true, Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(Explanation))]
    [Description("Decides a command as run would, without running it: allowed, denied or held for approval, the rule, the reason, and the programs and AWS actions found in it.")]
    public CallToolResult Explain(
        RequestContext<CallToolRequestParams> context,
        [Description("The target the command would run on.")] string target,
        [Description("The program and its arguments.")] string[]? argv = null,
        [Description("Shell text.")] string? script = null)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var (command, problem) = McpCommand.Parse(argv, script);
        if (problem is not null)
        {
            return McpResults.Error(problem);
        }

        var explained = composer.Explain(caller.Identity, target, command!);
        if (explained.Refusal is { } refusal)
        {
            return McpResults.Error(McpCommand.Describe(refusal));
        }

        var shown = explained.Decision!;
        var decision = shown.Decision.Verdict switch
        {
            Broker.Policy.Verdict.Allow => "allowed",
            Broker.Policy.Verdict.Review => "held",
            _ => "denied",
        };
        var approvers = explained.Approvers is { } a ? new ExplainedApprovers(a.Groups, a.OneFromEachGroup ? a.Groups.Count : a.Quorum) : null;
        var result = new Explanation(decision, shown.Reason, shown.Programs, shown.Decision.Facts.AwsActions) { Rule = shown.Decision.RuleId, Approvers = approvers };
        var held = approvers is null ? string.Empty : $"; approvers: {string.Join(", ", approvers.Groups)}";
        return McpResults.Of(result, $"{decision} ({shown.Decision.RuleId ?? "no rule"}): {shown.Reason}{held}");
    }
}

/// <summary>The <c>explain</c> result.</summary>
/// <param name="Decision"><c>allowed</c>, <c>denied</c> or <c>held</c> (run would hold it for approval).</param>
/// <param name="Reason">Why (masked).</param>
/// <param name="Programs">The programs found in the command.</param>
/// <param name="AwsActions">The AWS actions found in it.</param>
/// <remarks>Values that may be absent are properties, so the output schema does not require them (see <see cref="ApprovalWait"/>).</remarks>
internal sealed record Explanation(string Decision, string Reason, IReadOnlyList<string> Programs, IReadOnlyList<string> AwsActions)
{
    /// <summary>The deciding rule, if one did (a default deny has none).</summary>
    public string? Rule { get; init; }

    /// <summary>Who would approve it, when held.</summary>
    public ExplainedApprovers? Approvers { get; init; }
}

/// <summary>Who may approve a held command.</summary>
internal sealed record ExplainedApprovers(IReadOnlyList<string> Groups, int Quorum);
