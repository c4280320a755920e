using System.ComponentModel;
using System.Text;
using Broker.Server.Composition;
using Broker.Server.Masking;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp;

/// <summary>
/// The <c>run</c> tool: one command on a target, decided by the policy, run to its end, its masked output returned
/// within bounds. A command held for review is not waited for (return mode): the agent gets the approval to wait on.
/// </summary>
[McpServerToolType]
internal sealed class RunTool(SessionComposer composer, McpLimits limits)
{
    private const string HeldNext = "nothing ran; call wait_approval with this approval id until its state is approved, then call run again with the identical command (the approval is used once)";

    [McpServerTool(Name = "run", Destructive = true, OpenWorld = false, UseStructuredContent = true, OutputSchemaType = typeof(RunResult))]
    [Description("Runs one command on a target through the broker's policy. Give argv (program and arguments) or script (shell text). Output is masked and bounded; decision=held means a person must approve first (see next).")]
    public async Task<CallToolResult> Run(
        RequestContext<CallToolRequestParams> context,
        [Description("The target to run on (see the targets tool).")] string target,
        [Description("The program and its arguments, run without a shell.")] string[]? argv = null,
        [Description("Shell text, decided construct by construct.")] string? script = null,
        [Description("Text written to the command's standard input, then closed.")] string? stdin = null,
        [Description("Seconds the command may run before the broker ends it (default 30, at most 300).")] int? timeout_seconds = null,
        CancellationToken cancellationToken = default)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var (command, problem) = McpCommand.Parse(argv, script);
        var input = Encoding.UTF8.GetBytes(stdin ?? string.Empty);
        problem ??= input.Length > limits.MaxRunStdinBytes ? $"stdin is {input.Length} bytes; at most {limits.MaxRunStdinBytes} are taken" : null;
        problem ??= timeout_seconds is < 1 ? "timeout_seconds must be at least 1" : null;
        if (problem is not null)
        {
            return McpResults.Error(problem);
        }

        var timeout = timeout_seconds is { } seconds ? TimeSpan.FromSeconds(Math.Min(seconds, limits.MaxRunTimeout.TotalSeconds)) : limits.DefaultRunTimeout;
        MaskedDecision? review = null;
        var request = new SessionRequest.Exec(target, command!)
        {
            NoWait = true,
            OnHeld = (shown, _, _) =>
            {
                review = shown;
                return ValueTask.CompletedTask;
            },
        };
        var run = await composer.RunToCompletionAsync(caller.Identity, request, input, new ExecRunLimits(limits.MaxRunOutputBytes, timeout), cancellationToken).ConfigureAwait(false);
        var outcome = run.Outcome;
        var result = outcome switch
        {
            SessionOutcome.Opened => Result("allowed", outcome.Decision, outcome.SessionId, run) with { ExitCode = run.Exit?.Code, TimedOut = run.TimedOut },
            SessionOutcome.StartFailed failed => Result("allowed", outcome.Decision, outcome.SessionId, run) with { ExitCode = failed.ExitCode, Stderr = failed.Message },
            SessionOutcome.CommandRefused denied => Result("denied", outcome.Decision, outcome.SessionId, run) with { Stderr = denied.Message },
            SessionOutcome.Held held => Result("held", review, outcome.SessionId, run) with
            {
                Approval = new HeldApproval(held.Command.ApprovalId, held.Command.ExpiresAt, held.Command.Approvers.Groups, held.Command.Approvers.ApprovalsNeeded, HeldNext),
            },
            _ => null,
        };
        return result is null
            ? McpResults.Error(McpCommand.Describe(((SessionOutcome.Refused)outcome).Refusal))
            : McpResults.Of(result, Summary(result));
    }

    private static RunResult Result(string decision, MaskedDecision? shown, string? sessionId, ExecRun run) => new(
        decision,
        shown?.Reason ?? string.Empty,
        run.Stdout.Text,
        run.Stderr.Text,
        run.Stdout.Truncated,
        run.Stderr.Truncated)
    {
        Rule = shown?.Decision.RuleId,
        SessionId = sessionId,
    };

    private static string Summary(RunResult result)
    {
        var text = new StringBuilder();
        text.Append(result.Decision);
        if (result.Rule is not null)
        {
            text.Append(" (rule ").Append(result.Rule).Append(')');
        }

        text.Append(": ").Append(result.Approval is { } held ? $"approval {held.Id}, {held.Next}" : result.Reason);
        if (result.ExitCode is { } code)
        {
            text.Append("; exit code ").Append(code).Append(result.TimedOut ? " (timed out)" : string.Empty);
        }

        if (result.Stdout.Length > 0)
        {
            text.Append("\n--- stdout").Append(result.StdoutTruncated ? " (truncated)" : string.Empty).Append(" ---\n").Append(result.Stdout);
        }

        if (result.Stderr.Length > 0)
        {
            text.Append("\n--- stderr").Append(result.StderrTruncated ? " (truncated)" : string.Empty).Append(" ---\n").Append(result.Stderr);
        }

        return text.ToString();
    }
}

/// <summary>The <c>run</c> result.</summary>
/// <param name="Decision"><c>allowed</c>, <c>denied</c> or <c>held</c>.</param>
/// <param name="Reason">Why, in the policy's words (masked).</param>
/// <param name="Stdout">The command's standard output (masked; the first bytes up to the bound).</param>
/// <param name="Stderr">Its standard error, or the refusal (masked, bounded).</param>
/// <param name="StdoutTruncated">True when stdout was longer than the bound (the rest is in the recording).</param>
/// <param name="StderrTruncated">True when stderr was longer than the bound.</param>
/// <remarks>Values that may be absent are properties, so the output schema does not require them (see <see cref="ApprovalWait"/>).</remarks>
internal sealed record RunResult(string Decision, string Reason, string Stdout, string Stderr, bool StdoutTruncated, bool StderrTruncated)
{
    /// <summary>The policy rule that decided, if one did (a default deny has none).</summary>
    public string? Rule { get; init; }

    /// <summary>The session whose recording holds the call (and the full output); absent when no session was opened.</summary>
    public string? SessionId { get; init; }

    /// <summary>The command's exit code, when it ran.</summary>
    public int? ExitCode { get; init; }

    /// <summary>True when the broker ended the command at its timeout.</summary>
    public bool TimedOut { get; init; }

    /// <summary>The approval to wait for, when the command is held.</summary>
    public HeldApproval? Approval { get; init; }
}

/// <summary>A held command's approval request, as the agent needs it.</summary>
/// <param name="Id">The approval id (for <c>wait_approval</c>).</param>
/// <param name="ExpiresAt">When it expires if nobody decides.</param>
/// <param name="ApproverGroups">Groups whose members may approve.</param>
/// <param name="Quorum">Approvals needed.</param>
/// <param name="Next">What to call next.</param>
internal sealed record HeldApproval(string Id, DateTimeOffset ExpiresAt, IReadOnlyList<string> ApproverGroups, int Quorum, string Next);
