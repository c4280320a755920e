using System.ComponentModel;
using Broker.Approvals;
using Broker.Core.Sessions;
using Broker.Server.Composition;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp;

/// <summary>
/// <c>shell_open</c>, <c>shell_send</c>, <c>shell_read</c>, <c>shell_close</c>: a line-mode shell kept open across tool
/// calls, so a program that asks questions is answered by later calls. Each line typed at the prompt is decided by
/// the policy, and a held line waits at the prompt as in any line-mode session.
/// </summary>
[McpServerToolType]
internal sealed class ShellTools(McpShells shells, ApprovalCoordinator approvals, McpLimits limits, TimeProvider time)
{

    [McpServerTool(Name = "shell_open", Destructive = true, UseStructuredContent = true, OutputSchemaType = typeof(ShellOutput))]
    [Description("Opens a shell on a target (line mode: each line is checked by the policy). Returns its id and first output; use shell_send to type, shell_read to wait for more.")]
    public async Task<CallToolResult> Open(
        RequestContext<CallToolRequestParams> context,
        [Description("The target (see targets).")] string target,
        [Description("Terminal columns (default 120).")] int? columns = null,
        [Description("Terminal rows (default 40).")] int? rows = null,
        CancellationToken cancellationToken = default)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var (shell, refusal, problem) = await shells.OpenAsync(caller, target, columns ?? 120, rows ?? 40, cancellationToken).ConfigureAwait(false);
        if (shell is null)
        {
            return McpResults.Error(problem ?? refusal switch
            {
                SessionOutcome.Refused refused => McpCommand.Describe(refused.Refusal),
                SessionOutcome.StartFailed failed => $"the shell could not start: {failed.Message}",
                _ => "the shell could not be opened",
            });
        }

        await SettleAsync(shell, 0, cancellationToken).ConfigureAwait(false);
        return await AnswerAsync(shell, shell.Delivered, cancellationToken).ConfigureAwait(false);
    }

    [McpServerTool(Name = "shell_send", Destructive = true, UseStructuredContent = true, OutputSchemaType = typeof(ShellOutput))]
    [Description("Types input into your shell (end a line with \\n). Returns the output since what you last got, after it settles; held=an approval when a line waits for one.")]
    public async Task<CallToolResult> Send(
        RequestContext<CallToolRequestParams> context,
        [Description("The shell id from shell_open.")] string shell_id,
        [Description("What to type; a line ends with \\n.")] string input,
        CancellationToken cancellationToken = default)
    {
        if (Own(context, shell_id) is not { } shell)
        {
            return Unowned(context, shell_id);
        }

        var from = shell.Delivered;
        var sent = await shell.SendAsync(input ?? string.Empty, cancellationToken).ConfigureAwait(false);
        if (sent.Outcome == InputOutcome.Rejected)
        {
            return McpResults.Error($"the input was refused: {sent.Reason}");
        }

        await SettleAsync(shell, from, cancellationToken).ConfigureAwait(false);
        return await AnswerAsync(shell, from, cancellationToken).ConfigureAwait(false);
    }

    [McpServerTool(Name = "shell_read", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(ShellOutput))]
    [Description("Reads your shell's output from a cursor, waiting up to wait_ms (at most 20000) for some when there is none yet.")]
    public async Task<CallToolResult> Read(
        RequestContext<CallToolRequestParams> context,
        [Description("The shell id.")] string shell_id,
        [Description("Where to read from: the cursor a previous call returned (0: the oldest output kept).")] long cursor,
        [Description("Milliseconds to wait for output when there is none (default 0, at most 20000).")] int? wait_ms = null,
        CancellationToken cancellationToken = default)
    {
        if (Own(context, shell_id) is not { } shell)
        {
            return Unowned(context, shell_id);
        }

        var changed = shell.Output.Changed;
        if (shell.Output.End <= cursor && !shell.Ended && wait_ms is > 0)
        {
            await WithinAsync(changed, TimeSpan.FromMilliseconds(Math.Min(wait_ms.Value, limits.MaxShellReadWait.TotalMilliseconds)), cancellationToken).ConfigureAwait(false);
        }

        return await AnswerAsync(shell, cursor, cancellationToken).ConfigureAwait(false);
    }

    [McpServerTool(Name = "shell_close", Destructive = true, Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(ShellClosed))]
    [Description("Closes your shell (ending what runs in it) and returns its exit code.")]
    public async Task<CallToolResult> Close(RequestContext<CallToolRequestParams> context, [Description("The shell id.")] string shell_id)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var (found, code) = await shells.CloseAsync(caller, shell_id).ConfigureAwait(false);
        return found
            ? McpResults.Of(new ShellClosed { ExitCode = code }, $"closed; exit code {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}")
            : NoShell(shell_id);
    }

    /// <summary>The caller's shell <paramref name="id"/>, touched (its idle clock restarts); null when the caller has none such.</summary>
    private McpShell? Own(RequestContext<CallToolRequestParams> context, string? id)
    {
        var shell = McpCaller.Of(context) is { } caller ? shells.Find(caller, id ?? string.Empty) : null;
        shell?.Touch();
        return shell;
    }

    /// <summary>Why <see cref="Own"/> found nothing: no authenticated caller, or no such shell of theirs.</summary>
    private static CallToolResult Unowned(RequestContext<CallToolRequestParams> context, string? id) =>
        McpCaller.Of(context) is null ? McpResults.Unauthenticated() : NoShell(id);

    /// <summary>Another caller's shell is answered exactly like one that does not exist.</summary>
    private static CallToolResult NoShell(string? id) =>
        McpResults.Error($"no shell '{Recorder.UntrustedText.Neutralize(id ?? string.Empty, 100)}' of yours (it was closed, or ended and idled out); shell_open opens one");

    /// <summary>Waits for output after <paramref name="from"/>, then until none came for <see cref="McpLimits.ShellSettle"/>; never longer than <see cref="McpLimits.ShellSendWait"/>.</summary>
    private async Task SettleAsync(McpShell shell, long from, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(limits.ShellSendWait, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        var wait = shell.Output.End > from ? limits.ShellSettle : limits.ShellSendWait;
        try
        {
            while (!shell.Ended && await WithinAsync(shell.Output.Changed, wait, stop.Token).ConfigureAwait(false))
            {
                wait = limits.ShellSettle;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Output that keeps coming is returned as far as it got; shell_read reads on.
        }
    }

    /// <summary>True when <paramref name="changed"/> completed within <paramref name="wait"/> of the broker's clock.</summary>
    private async Task<bool> WithinAsync(Task changed, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, time, stop.Token);
        var first = await Task.WhenAny(changed, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == changed;
    }

    private async Task<CallToolResult> AnswerAsync(McpShell shell, long from, CancellationToken cancellationToken)
    {
        var (text, cursor, missed) = shell.Output.Read(from, limits.MaxShellReadChars);
        shell.Deliver(cursor);
        var ended = shell.Ended && cursor >= shell.Output.End;
        var held = ended ? null : await HeldAsync(shell, cancellationToken).ConfigureAwait(false);
        var result = new ShellOutput(shell.Id, shell.Session.Id, text, cursor, ended)
        {
            ExitCode = ended ? shell.Session.ExitStatus?.Code : null,
            Missed = missed > 0 ? missed : null,
            More = cursor < shell.Output.End ? true : null,
            Held = held,
        };
        var state = ended ? $"ended (exit code {result.ExitCode})" : held is not null ? $"a line is held for approval {held.Id}" : "running";
        return McpResults.Of(result, $"shell {shell.Id} {state}; cursor {cursor}\n{text}");
    }

    /// <summary>The approval a line of this shell waits for at the prompt, if one does.</summary>
    private async Task<HeldApproval?> HeldAsync(McpShell shell, CancellationToken cancellationToken)
    {
        var pending = await approvals.ListAsync(new ApprovalQuery { SessionId = shell.Session.Id, States = [ApprovalState.Pending], Limit = 1 }, cancellationToken).ConfigureAwait(false);
        return pending is [var request, ..]
            ? new HeldApproval(request.Id, request.ExpiresAt, request.Requirements.Groups, request.Requirements.ApprovalsNeeded, "the line waits at the prompt; wait_approval follows it, and once it is decided the shell goes on by itself (shell_read)")
            : null;
    }
}

/// <summary>What <c>shell_open</c>, <c>shell_send</c> and <c>shell_read</c> return.</summary>
/// <param name="ShellId">The shell.</param>
/// <param name="SessionId">Its session (the recording holds everything it did).</param>
/// <param name="Output">Terminal output (masked) from the cursor asked for.</param>
/// <param name="Cursor">Where the next shell_read starts.</param>
/// <param name="Ended">True once the shell ended and all its output was read.</param>
internal sealed record ShellOutput(string ShellId, string SessionId, string Output, long Cursor, bool Ended)
{
    /// <summary>The shell's exit code, once ended.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Characters lost before <see cref="Output"/> because the reader fell behind the ring (they are in the recording).</summary>
    public long? Missed { get; init; }

    /// <summary>True when more output is already there past <see cref="Cursor"/>.</summary>
    public bool? More { get; init; }

    /// <summary>The approval a line waits for at the prompt.</summary>
    public HeldApproval? Held { get; init; }
}

/// <summary>What <c>shell_close</c> returns.</summary>
internal sealed record ShellClosed
{
    /// <summary>The shell's exit code (absent when it ended without one); a property, so the output schema does not require it.</summary>
    public int? ExitCode { get; init; }
}
