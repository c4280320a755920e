using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Interactive;
using Broker.Server.Logging;
using Broker.Server.Masking;
using Broker.Server.Recording;

namespace Broker.Server.Composition;

/// <summary>An exec: its command passes the policy gate (and a review, if the policy asks for one) before anything runs.</summary>
internal sealed partial class SessionComposer
{
    /// <summary>The exit code of an exec whose command is held while the client returned (EX_TEMPFAIL: try again later).</summary>
    public const int ReturnModeExitCode = 75;

    private async Task<SessionOutcome> OpenExecAsync(CallerIdentity caller, IReadOnlyList<string> roleNames, SessionRequest.Exec exec, UnopenedSession unopened, CancellationToken cancellationToken)
    {
        if (Prepare(caller, roleNames, "exec", 0, 0, string.Empty, unopened, out var notPrepared) is not { } prepared)
        {
            return notPrepared!;
        }

        var (request, masking) = prepared;
        var journal = unopened.Journal!;
        var (input, text) = Shape(exec.Command);
        if (!CommandRecords.TextFits(text))
        {
            // What cannot be recorded does not run: the refusal (with the command's start) is the record.
            journal.ExecCommand(CommandRecords.Oversized(text));
            await unopened.RollBackAsync(126, SessionEndReason.ControlFailed, "INVALID_ARGUMENT: " + CommandRecords.OversizedReason(text)).ConfigureAwait(false);
            return Refused(RefusalKind.InvalidRequest, CommandRecords.OversizedReason(text));
        }

        var decision = Decide(roleNames, exec.Target, input);
        journal.ExecCommand(CommandRecords.For(text, decision));
        if (decision.Verdict == Verdict.Review)
        {
            var review = new ReviewRequest(caller, unopened.Id, exec.Target, text, decision, _access.Version, () => Decide(roleNames, exec.Target, input)) { NoWait = exec.NoWait, CallerExpiresAt = exec.CallerExpiresAt };
            var progress = new ExecReviewProgress(journal, MaskedDecision.Of(decision, text, masking), exec.OnHeld);
            switch (await _review.ReviewAsync(review, progress, cancellationToken).ConfigureAwait(false))
            {
                case ReviewOutcome.Pending pending:
                    LogDecision(_logger, new LoggedText(caller.Subject), "held", new LoggedText(decision.RuleId ?? "-"));
                    var returned = pending.CallerTokenExpired ? "the caller's token expired while it waited" : "the client returned (no-wait)";
                    await unopened.RollBackAsync(ReturnModeExitCode, SessionEndReason.PolicyDenied, $"the command is held for approval {pending.Held.ApprovalId}; {returned}").ConfigureAwait(false);
                    return new SessionOutcome.Held(pending.Held) { CallerTokenExpired = pending.CallerTokenExpired };
                case ReviewOutcome.Approved approved:
                    decision = approved.Decision;
                    break;
                case ReviewOutcome.Refused refused:
                    decision = refused.Decision;
                    break;
            }
        }

        LogDecision(_logger, new LoggedText(caller.Subject), decision.VerdictName, new LoggedText(decision.RuleId ?? "-"));
        var shown = MaskedDecision.Of(decision, text, masking);
        if (decision.Verdict != Verdict.Allow)
        {
            await unopened.RollBackAsync(126, SessionEndReason.PolicyDenied, null).ConfigureAwait(false);
            return new SessionOutcome.CommandRefused(masking.Text(CommandRecords.Refusal(decision))) { Decision = shown };
        }

        if (decision.Facts.SecretOutput)
        {
            // The command prints a secret: nobody sees its output, and the value is masked wherever it shows up.
            var createMasking = request.CreateFilter;
            request = request with { CreateFilter = () => new ChainedOutputFilter(new SecretOutputCapture(masking.Secrets), createMasking()) };
        }

        var (session, notStarted) = await StartAsync(unopened, request, (r, ct) => _sessions.OpenCommandAsync(r, exec.Command, ct), cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return notStarted! with { Decision = shown };
        }

        var roles = new SessionRoles(roleNames);
        Observe(session, caller, roles, raw: false, "exec");
        return new SessionOutcome.Opened(new OpenedSession(session, roles, null, null, Task.CompletedTask)) { Decision = shown };
    }

    /// <summary>The command as the policy reads it, and its text as it is recorded and shown.</summary>
    private static (CommandInput Input, string Text) Shape(TargetCommand command) => command switch
    {
        TargetCommand.Argv argv => (CommandInput.Argv(argv.Arguments), string.Join(' ', argv.Arguments)),
        TargetCommand.Script script => (CommandInput.Script(script.Text), script.Text),
        _ => throw new ArgumentException("unknown command shape", nameof(command)),
    };

    /// <summary>The policy gate: the command is decided where the target's sessions start, under the current policy.</summary>
    private Decision Decide(IReadOnlyList<string> roles, string target, CommandInput input) => _access.Decide(roles, input.In(_access.ContextFor(target)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Command of {Subject}: {Verdict} ({Rule})")]
    private static partial void LogDecision(ILogger logger, LoggedText subject, string verdict, LoggedText rule);
}
