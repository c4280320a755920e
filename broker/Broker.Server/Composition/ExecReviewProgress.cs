using Broker.Server.Masking;
using Broker.Server.Recording;
using Recorder;

namespace Broker.Server.Composition;

/// <summary>An exec's review as it goes: each step is recorded in the session's recording, and the client hears when the command is held.</summary>
internal sealed class ExecReviewProgress(RecordingJournal journal, MaskedDecision review, Func<MaskedDecision, HeldCommand, CancellationToken, ValueTask>? onHeld) : IReviewProgress
{
    public ValueTask HeldAsync(HeldCommand held, CancellationToken cancellationToken) =>
        onHeld is null ? ValueTask.CompletedTask : onHeld(review, held, cancellationToken);

    public void Record(ApprovalRecord step) => journal.Approval(step);
}
