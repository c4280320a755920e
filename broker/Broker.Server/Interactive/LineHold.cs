using System.Globalization;
using Broker.Policy;
using Broker.Server.Composition;
using Broker.Server.Recording;
using Recorder;

namespace Broker.Server.Interactive;

/// <summary>
/// One line typed in line mode whose decision was <c>review</c>: it goes through the composer's review gate (the same
/// approval path as an exec), the agent's terminal says it is held once the request is stored, and the outcome comes
/// back to the line discipline as an allowed or refused line. Ctrl-C or the session's end withdraws the request.
/// </summary>
internal sealed class LineHold : IReviewProgress
{
    /// <summary>Why a request withdrawn by Ctrl-C was withdrawn.</summary>
    public const string InterruptedReason = "withdrawn at the prompt (Ctrl-C)";

    /// <summary>Why a request still held when its session ended was withdrawn.</summary>
    public const string SessionEndedReason = "the session ended while the command was held";

    private readonly Lock _gate = new();
    private readonly RecordingJournal _journal;
    private readonly long _handle;
    private readonly ILineHoldSink _sink;
    private volatile string _withdrawReason = SessionEndedReason;
    private string? _approvalId;

    // Cancels the review's wait while it runs (null before and after), so Ctrl-C after the outcome does nothing.
    private Action<string>? _cancel;

    private LineHold(RecordingJournal journal, long handle, ILineHoldSink sink)
    {
        _journal = journal;
        _handle = handle;
        _sink = sink;
    }

    /// <summary>The line's number in the recording (its approval records carry it).</summary>
    public long Handle => _handle;

    /// <summary>
    /// Starts the review of <paramref name="request"/>; <paramref name="decided"/> turns its outcome into the line's
    /// verdict (null: withdrawn), which is then handed to the sink.
    /// </summary>
    public static LineHold Start(LineReview review, ReviewRequest request, RecordingJournal journal, long handle, Func<ReviewOutcome, LineVerdict> decided)
    {
        var hold = new LineHold(journal, handle, review.Sink);
        _ = hold.RunAsync(review.Gate, request with { WithdrawReason = () => hold._withdrawReason }, decided);
        _ = review.SessionEnded.ContinueWith(
            static (_, state) => ((LineHold)state!).Cancel(SessionEndedReason),
            hold,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return hold;
    }

    /// <summary>Ctrl-C at the prompt: the request is withdrawn, and the line refused with that reason.</summary>
    public void Withdraw() => Cancel(InterruptedReason);

    private void Cancel(string reason)
    {
        lock (_gate)
        {
            // Ctrl-C or the session's end can cross an outcome already on its way: then there is nothing left to withdraw.
            _cancel?.Invoke(reason);
        }
    }

    public ValueTask HeldAsync(HeldCommand held, CancellationToken cancellationToken)
    {
        _approvalId = held.ApprovalId;
        _sink.Show(Notice(held));
        return ValueTask.CompletedTask;
    }

    public void Record(ApprovalRecord step) => _journal.Approval(step with { CommandNumber = _handle });

    /// <summary>The lines the agent's terminal shows while the command is held.</summary>
    internal static string Notice(HeldCommand held)
    {
        var approvers = held.Approvers;
        var quorum = approvers.OneFromEachGroup ? "one from each group" : $"{approvers.Quorum} distinct";
        var expires = held.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return $"broker: held for approval {held.ApprovalId} until {expires}\r\n"
            + $"broker: approvers: groups {string.Join(", ", approvers.Groups)}, quorum {quorum}; Ctrl-C withdraws\r\n";
    }

    private async Task RunAsync(IReviewGate gate, ReviewRequest request, Func<ReviewOutcome, LineVerdict> decided)
    {
        using var withdraw = new CancellationTokenSource();
        lock (_gate)
        {
            _cancel = reason =>
            {
                if (!withdraw.IsCancellationRequested)
                {
                    _withdrawReason = reason;
                    withdraw.Cancel();
                }
            };
        }

        LineVerdict verdict;
        try
        {
            verdict = decided(await gate.ReviewAsync(request, this, withdraw.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (withdraw.IsCancellationRequested)
        {
            if (_withdrawReason == SessionEndedReason)
            {
                return;
            }

            var which = _approvalId is null ? "the approval request" : $"approval request {_approvalId}";
            verdict = new LineVerdict(false, $"broker: {which} {InterruptedReason}; the command did not run", _handle);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Fail closed: a review that broke lets nothing run, and the session goes on.
            verdict = new LineVerdict(false, $"broker: the command was not run: its review failed ({ex.GetType().Name})", _handle);
        }
        finally
        {
            lock (_gate)
            {
                _cancel = null;
            }
        }

        _sink.HoldEnded(_handle, verdict);
    }
}
