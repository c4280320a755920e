using Broker.Core.Targets;
using Broker.Policy;
using Broker.Server.Logging;
using Broker.Server.Masking;

namespace Broker.Server.Composition;

/// <summary>A command decided without running: what the caller's roles on the target say about it, and why.</summary>
/// <param name="Refusal">Why the caller cannot use the target at all (then nothing was decided).</param>
/// <param name="Decision">The decision as the caller is shown it (masked).</param>
/// <param name="Approvers">Who would decide it, when the decision is review.</param>
internal sealed record CommandExplanation(SessionRefusal? Refusal, MaskedDecision? Decision, ApproverSettings? Approvers);

/// <summary>Explain: the exec's authorization and policy gate, with no session, no recording and nothing run.</summary>
internal sealed partial class SessionComposer
{
    /// <summary>Decides <paramref name="command"/> on <paramref name="target"/> for <paramref name="caller"/> as an exec would, without running it; only the log line says it was asked.</summary>
    public CommandExplanation Explain(CallerIdentity caller, string target, TargetCommand command)
    {
        var (roles, denied) = Authorize(caller, target);
        if (denied is SessionOutcome.Refused refused)
        {
            return new CommandExplanation(refused.Refusal, null, null);
        }

        if (_masking.For(_access.Roles(roles)).Profile is not { } profile)
        {
            return new CommandExplanation(new SessionRefusal(RefusalKind.ControlUnavailable, "output masking for this target cannot be enforced"), null, null);
        }

        var (input, text) = Shape(command);
        var decision = Decide(roles, target, input);
        LogExplained(_logger, new LoggedText(caller.Subject), new LoggedText(target), decision.VerdictName, new LoggedText(decision.RuleId ?? "-"));
        var approvers = decision.Verdict == Verdict.Review && decision.Role is { } role && _access.Roles([role]) is [var definition, ..] ? definition.Approvers : null;
        return new CommandExplanation(null, MaskedDecision.Of(decision, text, new SessionMasking(profile, new Broker.Masking.SecretRegistry(), 0, 0)), approvers);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Explained a command for {Subject} on {Target}: {Verdict} ({Rule}); nothing ran")]
    private static partial void LogExplained(ILogger logger, LoggedText subject, LoggedText target, string verdict, LoggedText rule);
}
