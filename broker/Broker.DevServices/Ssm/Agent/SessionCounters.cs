namespace Broker.DevServices.Ssm.Agent;

/// <summary>Counts of what happened on a session's data channel (updated under the session's lock).</summary>
public sealed class SessionCounters
{
    internal long FramesSent;
    internal long Resends;
    internal long DroppedOutgoing;
    internal long Corrupted;
    internal long DuplicatedOutgoing;
    internal long Reordered;
    internal long DroppedIncoming;
    internal long InputFrames;
    internal long DuplicateInputs;
    internal long EarlyInputs;
    internal long NotReady;
    internal long BadDigests;
    internal long Malformed;
    internal long AcksReceived;
    internal long AcksSent;

    internal Snapshot Take(int unacknowledged) => new(
        FramesSent, Resends, DroppedOutgoing, Corrupted, DuplicatedOutgoing, Reordered, DroppedIncoming, InputFrames,
        DuplicateInputs, EarlyInputs, NotReady, BadDigests, Malformed, AcksReceived, AcksSent, unacknowledged);

    /// <summary>The counts at one moment.</summary>
    /// <param name="FramesSent">Output data frames put on the wire (first sends, resends and duplicates).</param>
    /// <param name="Resends">Output frames sent again after their RTO.</param>
    /// <param name="DroppedOutgoing">Output frames lost by fault injection.</param>
    /// <param name="Corrupted">Output frames sent damaged by fault injection.</param>
    /// <param name="DuplicatedOutgoing">Extra copies sent by fault injection.</param>
    /// <param name="Reordered">Output frames held back and sent after a later one.</param>
    /// <param name="DroppedIncoming">Input frames lost by fault injection.</param>
    /// <param name="InputFrames">Input data frames received (valid ones, duplicates included).</param>
    /// <param name="DuplicateInputs">Input frames received again after they were processed.</param>
    /// <param name="EarlyInputs">Input frames that arrived ahead of the expected one.</param>
    /// <param name="NotReady">Input frames ignored because the program did not exist yet.</param>
    /// <param name="BadDigests">Frames whose payload did not match its digest.</param>
    /// <param name="Malformed">Frames that could not be decoded at all.</param>
    /// <param name="AcksReceived">Acknowledgements from the client.</param>
    /// <param name="AcksSent">Acknowledgements to the client.</param>
    /// <param name="Unacknowledged">Output frames still waiting for an acknowledgement.</param>
    public sealed record Snapshot(
        long FramesSent,
        long Resends,
        long DroppedOutgoing,
        long Corrupted,
        long DuplicatedOutgoing,
        long Reordered,
        long DroppedIncoming,
        long InputFrames,
        long DuplicateInputs,
        long EarlyInputs,
        long NotReady,
        long BadDigests,
        long Malformed,
        long AcksReceived,
        long AcksSent,
        int Unacknowledged);
}
