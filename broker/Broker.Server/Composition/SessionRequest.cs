using Broker.Core.Targets;
using Broker.Server.Masking;

namespace Broker.Server.Composition;

/// <summary>What a front end asks the <see cref="SessionComposer"/> for, already parsed from its own wire format.</summary>
internal abstract record SessionRequest(string Target)
{
    /// <summary>One command, decided by the policy before it runs; its output goes back on stdout and stderr.</summary>
    public sealed record Exec(string Target, TargetCommand Command) : SessionRequest(Target)
    {
        /// <summary>Return mode: a command held for approval ends the call at once (<see cref="SessionOutcome.Held"/>) instead of waiting.</summary>
        public bool NoWait { get; init; }

        /// <summary>
        /// When the caller's token expires. A command held for approval stops waiting then and does not run: the
        /// request stays pending, and the identical command run again with a fresh token uses its approval.
        /// </summary>
        public DateTimeOffset? CallerExpiresAt { get; init; }

        /// <summary>Tells the client its command is held (the review decision as it is shown, then the request), once the request is stored.</summary>
        public Func<MaskedDecision, HeldCommand, CancellationToken, ValueTask>? OnHeld { get; init; }
    }

    /// <summary>
    /// An interactive shell on a terminal of the given size. The caller's roles pick the mode: line mode (each
    /// command typed at the prompt decided first) unless a role grants a raw terminal (audited, not enforced).
    /// </summary>
    public sealed record Shell(string Target, long Columns, long Rows, string Term) : SessionRequest(Target);
}
