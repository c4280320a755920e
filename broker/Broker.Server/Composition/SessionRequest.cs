using Broker.Core.Targets;

namespace Broker.Server.Composition;

/// <summary>What a front end asks the <see cref="SessionComposer"/> for, already parsed from its own wire format.</summary>
internal abstract record SessionRequest(string Target)
{
    /// <summary>One command, decided by the policy before it runs; its output goes back on stdout and stderr.</summary>
    public sealed record Exec(string Target, TargetCommand Command) : SessionRequest(Target);

    /// <summary>
    /// An interactive shell on a terminal of the given size. The caller's roles pick the mode: line mode (each
    /// command typed at the prompt decided first) unless a role grants a raw terminal (audited, not enforced).
    /// </summary>
    public sealed record Shell(string Target, long Columns, long Rows, string Term) : SessionRequest(Target);
}
