using Broker.Core.Targets;
using Broker.Server.Composition;

namespace Broker.Server.Mcp;

/// <summary>A tool's command arguments (<c>argv</c> or <c>script</c>, exactly one) as the composer takes them, or why they are not one.</summary>
internal static class McpCommand
{
    public static (TargetCommand? Command, string? Problem) Parse(string[]? argv, string? script)
    {
        TargetCommand? command = (argv, script) switch
        {
            ({ Length: > 0 } a, null) when a[0].Length > 0 => new TargetCommand.Argv(a),
            (null, { Length: > 0 } s) => new TargetCommand.Script(s),
            _ => null,
        };
        if (command is null)
        {
            return (null, "give exactly one of argv (a non-empty list whose first item is the program) or script (shell text)");
        }

        var hasNul = command is TargetCommand.Argv v ? v.Arguments.Any(a => a.Contains('\0', StringComparison.Ordinal)) : script!.Contains('\0', StringComparison.Ordinal);
        return hasNul ? (null, "the command contains a NUL character") : (command, null);
    }

    /// <summary>A refusal in words an agent can act on.</summary>
    public static string Describe(SessionRefusal refusal) => refusal.Kind switch
    {
        RefusalKind.NotPermitted => $"not permitted: {refusal.Message} (call targets to see what your roles allow)",
        RefusalKind.UnknownTarget => $"unknown target: {refusal.Message} (call targets for the list)",
        RefusalKind.LimitReached => $"limit reached: {refusal.Message}",
        RefusalKind.InvalidRequest => $"invalid request: {refusal.Message}",
        RefusalKind.Unavailable => $"unavailable, try again later: {refusal.Message}",
        _ => $"refused: {refusal.Message}",
    };
}
