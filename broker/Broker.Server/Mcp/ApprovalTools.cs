using System.ComponentModel;
using Broker.Approvals;
using Broker.Server.Approvals;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp;

/// <summary>
/// <c>wait_approval</c> and <c>my_approvals</c>: an agent follows its own held commands. Deciding them is for people
/// (the approvals API); no tool here approves, denies or withdraws.
/// </summary>
[McpServerToolType]
internal sealed class ApprovalTools(ApprovalCoordinator coordinator, ApprovalVisibility visibility, McpLimits limits, TimeProvider time)
{
    private const int MyApprovalsLimit = 50;

    [McpServerTool(Name = "wait_approval", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(ApprovalWait))]
    [Description("Waits (at most 50 s) for a held command's approval to be decided, reporting progress while it waits. When state is approved, call run again with the identical command.")]
    public async Task<CallToolResult> WaitApproval(
        RequestContext<CallToolRequestParams> context,
        IProgress<ProgressNotificationValue> progress,
        [Description("The approval id run returned.")] string approval_id,
        [Description("Seconds to wait for a decision (default 45, at most 50).")] int? wait_seconds = null,
        CancellationToken cancellationToken = default)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var request = string.IsNullOrEmpty(approval_id) ? null : await coordinator.GetAsync(approval_id, cancellationToken).ConfigureAwait(false);
        if (request is null || !ApprovalVisibility.CanSee(caller.Identity, request, visibility.SeesAll(caller.Identity)))
        {
            return McpResults.Error($"no approval request '{Recorder.UntrustedText.Neutralize(approval_id ?? string.Empty, 100)}' (my_approvals lists yours)");
        }

        var wait = wait_seconds is { } seconds ? TimeSpan.FromSeconds(Math.Clamp(seconds, 0, limits.MaxApprovalWait.TotalSeconds)) : limits.DefaultApprovalWait;
        if (request.State == ApprovalState.Pending && wait > TimeSpan.Zero)
        {
            request = await WaitAsync(request, wait, progress, cancellationToken).ConfigureAwait(false);
        }

        var result = Describe(request);
        return McpResults.Of(result, $"{result.State}: {result.Next}");
    }

    [McpServerTool(Name = "my_approvals", ReadOnly = true, Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(ApprovalList))]
    [Description("Lists your own approval requests, newest first: pending ones to wait for, approved ones to run.")]
    public async Task<CallToolResult> MyApprovals(RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken = default)
    {
        if (McpCaller.Of(context) is not { } caller)
        {
            return McpResults.Unauthenticated();
        }

        var rows = await coordinator.ListAsync(new ApprovalQuery { RequesterIssuer = caller.Identity.Issuer, RequesterSubject = caller.Identity.Subject, Limit = MyApprovalsLimit }, cancellationToken).ConfigureAwait(false);
        var items = rows.Select(r => new ApprovalItem(r.Id, r.State.Name(), r.Target, r.Command, r.SessionId, r.CreatedAt, r.ExpiresAt)).ToList();
        var pending = items.Count(i => i.State == "pending");
        return McpResults.Of(new ApprovalList(items), $"{items.Count} approval requests of yours ({pending} pending)");
    }

    /// <summary>
    /// Waits on the coordinator's watch of the request (woken when it is decided), and reports progress every
    /// <see cref="McpLimits.ProgressInterval"/> of the broker's clock while nothing happens.
    /// </summary>
    private async Task<ApprovalRequest> WaitAsync(ApprovalRequest request, TimeSpan wait, IProgress<ProgressNotificationValue> progress, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(wait, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var started = time.GetTimestamp();
        var outcome = coordinator.WaitForOutcomeAsync(request.Id, deadline.Token);
        using var ticks = new PeriodicTimer(limits.ProgressInterval, time);
        var groups = string.Join(", ", request.Requirements.Groups);
        try
        {
            while (!outcome.IsCompleted)
            {
                var tick = ticks.WaitForNextTickAsync(deadline.Token).AsTask();
                await Task.WhenAny(outcome, tick).ConfigureAwait(false);
                if (tick.IsCompletedSuccessfully && !outcome.IsCompleted)
                {
                    var elapsed = time.GetElapsedTime(started);
                    progress.Report(new ProgressNotificationValue
                    {
                        Progress = (float)elapsed.TotalSeconds,
                        Total = (float)wait.TotalSeconds,
                        Message = $"approval {request.Id} pending: waiting for {groups} ({elapsed.TotalSeconds:0} s of {wait.TotalSeconds:0} s)",
                    });
                }
                else if (tick.IsCanceled)
                {
                    break;
                }
            }

            return await outcome.ConfigureAwait(false) ?? request;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The wait is over, not the request: say where it stands now.
            return await coordinator.GetAsync(request.Id, cancellationToken).ConfigureAwait(false) ?? request;
        }
    }

    private static ApprovalWait Describe(ApprovalRequest request)
    {
        var next = request.State switch
        {
            ApprovalState.Pending => "still pending: call wait_approval again (people decide; no tool here can)",
            ApprovalState.Approved => "approved: call run again with the identical command (same target and argv or script); the approval is used once",
            ApprovalState.Executed => "already used: the approved command ran; running it again needs a new approval",
            _ => "the command will not run on this request; change the command (explain helps) or ask again",
        };
        var decidedBy = request.Decisions.Select(d => d.Approver.Subject).Distinct(StringComparer.Ordinal).ToList();
        return new ApprovalWait(request.Id, request.State.Name(), request.ExpiresAt, next)
        {
            DecidedBy = decidedBy.Count == 0 ? null : decidedBy,
            Reason = request.StateReason,
        };
    }
}

/// <summary>The <c>wait_approval</c> result.</summary>
/// <param name="ApprovalId">The request.</param>
/// <param name="State"><c>pending</c>, <c>approved</c>, <c>denied</c>, <c>expired</c>, <c>withdrawn</c> or <c>executed</c>.</param>
/// <param name="ExpiresAt">When a pending request expires.</param>
/// <param name="Next">What to do next.</param>
/// <remarks>
/// A value that may be absent is a property, not a constructor parameter, so the output schema does not list it as
/// required: clients that validate results against the schema (the TypeScript SDK does) would reject the result.
/// </remarks>
internal sealed record ApprovalWait(string ApprovalId, string State, DateTimeOffset ExpiresAt, string Next)
{
    /// <summary>Who decided so far (absent before anyone has).</summary>
    public IReadOnlyList<string>? DecidedBy { get; init; }

    /// <summary>Why it reached its state (absent while pending).</summary>
    public string? Reason { get; init; }
}

/// <summary>The <c>my_approvals</c> result.</summary>
internal sealed record ApprovalList(IReadOnlyList<ApprovalItem> Approvals);

/// <summary>One of the caller's approval requests.</summary>
internal sealed record ApprovalItem(string Id, string State, string Target, string Command, string SessionId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);
