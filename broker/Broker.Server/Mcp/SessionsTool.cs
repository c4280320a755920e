using System.ComponentModel;
using Broker.Core.Sessions;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp;

/// <summary>The <c>my_sessions</c> tool: the caller's own sessions (running and recently ended), whoever else the caller may see elsewhere.</summary>
[McpServerToolType]
internal sealed class SessionsTool(SessionManager sessions)
{
    [McpServerTool(Name = "my_sessions", ReadOnly = true, Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(SessionList))]
    [Description("Lists your own sessions, running and recently ended, newest first; each one's recording holds everything it did.")]
    public CallToolResult MySessions(RequestContext<CallToolRequestParams> context)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var mine = sessions.Registry.List(includeEnded: true)
            .Where(s => s.Owner.Issuer == caller.Identity.Issuer && s.Owner.Subject == caller.Identity.Subject)
            .OrderByDescending(s => s.StartedAt)
            .Select(s => new SessionItem(s.Id, s.Target, s.Kind == SessionKind.Interactive ? "shell" : "exec", s.IsRunning, s.StartedAt) { EndedAt = s.EndedAt, ExitCode = s.ExitStatus?.Code })
            .ToList();
        return McpResults.Of(new SessionList(mine), $"{mine.Count} sessions of yours ({mine.Count(s => s.Running)} running)");
    }
}

/// <summary>The <c>my_sessions</c> result.</summary>
internal sealed record SessionList(IReadOnlyList<SessionItem> Sessions);

/// <summary>One of the caller's sessions.</summary>
/// <remarks>Values that may be absent are properties, so the output schema does not require them (see <see cref="ApprovalWait"/>).</remarks>
internal sealed record SessionItem(string SessionId, string Target, string Kind, bool Running, DateTimeOffset StartedAt)
{
    /// <summary>When it ended (absent while it runs).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Its exit code, once it ended with one.</summary>
    public int? ExitCode { get; init; }
}
