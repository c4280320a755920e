using Broker.Core.Sessions;

namespace Broker.Server.Composition;

/// <summary>How a front end that cannot stream runs an exec: how much of each output stream it keeps, and for how long the command may run.</summary>
/// <param name="MaxOutputBytes">Bytes kept of stdout and of stderr each (the first ones); the rest is counted and left to the recording.</param>
/// <param name="Timeout">How long the command may run before the broker ends it.</param>
internal sealed record ExecRunLimits(int MaxOutputBytes, TimeSpan Timeout);

/// <summary>An exec run to its end (or refused, or held), as a front end that answers once reports it.</summary>
/// <param name="Outcome">What the composer made of the request; <see cref="SessionOutcome.Opened"/> when the command ran.</param>
/// <param name="Exit">How the command ended, when it ran.</param>
/// <param name="TimedOut">True when the broker ended the command at <see cref="ExecRunLimits.Timeout"/>.</param>
/// <param name="Stdout">What was kept of its (masked) standard output.</param>
/// <param name="Stderr">What was kept of its (masked) standard error, broker notices included.</param>
internal sealed record ExecRun(SessionOutcome Outcome, SessionEvent.Ended? Exit, bool TimedOut, CollectedOutput Stdout, CollectedOutput Stderr);

/// <summary>The kept start of one output stream: its text, and whether (and by how many bytes) the rest was left out.</summary>
internal sealed record CollectedOutput(string Text, bool Truncated, long TotalBytes)
{
    public static CollectedOutput Empty { get; } = new(string.Empty, false, 0);
}
