using System.ComponentModel;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Configuration;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp;

/// <summary>The <c>targets</c> tool: every target, and what the caller's roles allow there, in words an agent can plan with.</summary>
[McpServerToolType]
internal sealed class TargetsTool(BrokerSettings settings, IAccessPolicy access)
{
    [McpServerTool(Name = "targets", ReadOnly = true, Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(TargetList))]
    [Description("Lists the broker's targets and, for each, whether your roles may use it, how (exec, shell), and what happens to commands no rule allows.")]
    public CallToolResult List(RequestContext<CallToolRequestParams> context)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var targets = settings.Targets.Select(t => (t.Name, Kind: "local"))
            .Concat(settings.SsmTargets.Select(t => (t.Settings.Name, Kind: "ssm")))
            .Select(t => Describe(caller.Identity, t.Name, t.Kind))
            .ToList();
        var usable = targets.Where(t => t.Permitted).Select(t => t.Name).ToList();
        var summary = usable.Count == 0
            ? $"{targets.Count} targets; your roles allow none of them"
            : $"{targets.Count} targets; you may use {string.Join(", ", usable)}";
        return McpResults.Of(new TargetList(targets), summary);
    }

    private TargetInfo Describe(CallerIdentity caller, string name, string kind)
    {
        var decision = access.Authorize(caller, name);
        if (!decision.Allowed)
        {
            return new TargetInfo(name, kind, false, decision.Denial!, []);
        }

        var roles = access.Roles(decision.Roles);
        var raw = roles.Any(r => r.Terminal == TerminalMode.Raw);
        var approvers = roles.Where(r => r.Approvers is not null).SelectMany(r => r.Approvers!.Groups).Distinct(StringComparer.Ordinal).ToList();
        var holds = approvers.Count > 0
            ? $"commands the policy marks for review are held for approval by {string.Join(" or ", approvers)}"
            : "nothing can be approved here (the roles name no approvers), so commands marked for review are denied";
        var unmatched = roles.Any(r => r.Default == Verdict.Review && r.Approvers is not null) ? "held too" : "denied";
        var shell = raw ? "a raw terminal (commands audited, not checked)" : "a line-mode shell (each line checked by the policy)";
        var words = $"as {string.Join(", ", decision.Roles)}: run commands the policy allows, or open {shell}; {holds}; a command no rule allows is {unmatched} (explain checks one first)";
        return new TargetInfo(name, kind, true, words, ["exec", raw ? "shell_raw" : "shell_line"]);
    }
}

/// <summary>The <c>targets</c> result.</summary>
internal sealed record TargetList(IReadOnlyList<TargetInfo> Targets);

/// <summary>One target as the caller may use it.</summary>
/// <param name="Name">The target's name (what <c>run</c> and <c>shell_open</c> take).</param>
/// <param name="Kind"><c>local</c> (a shell on the broker's host) or <c>ssm</c> (an instance through AWS SSM).</param>
/// <param name="Permitted">Whether the caller's roles cover the target at all.</param>
/// <param name="Allowed">What the caller may do there, in words (or why not).</param>
/// <param name="Modes">How the target can be used: <c>exec</c>, <c>shell_line</c> or <c>shell_raw</c>.</param>
internal sealed record TargetInfo(string Name, string Kind, bool Permitted, string Allowed, IReadOnlyList<string> Modes);
