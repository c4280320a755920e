using Broker.Policy;

namespace Broker.Server.Masking;

/// <summary>
/// A policy decision on a command as the client and observers are shown it: the command, the reason and the facts
/// found in the command (programs, construct details) with every secret masked, like the session's output.
/// </summary>
internal sealed record MaskedDecision(string Command, Decision Decision, string Reason, IReadOnlyList<string> Programs, IReadOnlyList<Construct> Constructs)
{
    public static MaskedDecision Of(Decision decision, string command, SessionMasking masking) => new(
        masking.Text(command),
        decision,
        masking.Text(decision.Reason),
        [.. decision.Facts.Programs.Select(masking.Text)],
        [.. decision.Facts.Constructs.Select(c => c with { Detail = c.Detail is null ? null : masking.Text(c.Detail) })]);
}
