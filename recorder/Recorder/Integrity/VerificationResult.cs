namespace Recorder;

/// <summary>The verdict on a recording: exactly one of three.</summary>
public enum VerificationStatus
{
    /// <summary>Every record is covered by a valid signature and the recording ends with a valid seal.</summary>
    IntactAndSealed,

    /// <summary>
    /// Everything up to the last valid checkpoint is intact; the file then ends without a seal
    /// (a crash, a session still running, or a cut).
    /// </summary>
    TruncatedAfterCheckpoint,

    /// <summary>Something does not match its signature or its structure; <see cref="VerificationResult.TamperedAtRecord"/> says where.</summary>
    Tampered,
}

/// <summary>What <see cref="RecordingVerifier.Verify"/> found.</summary>
public sealed record VerificationResult
{
    /// <summary>The verdict.</summary>
    public required VerificationStatus Status { get; init; }

    /// <summary>One sentence an auditor can read: what is intact, what failed and where.</summary>
    public required string Detail { get; init; }

    /// <summary>The header, when it could be read.</summary>
    public RecordingHeader? Header { get; init; }

    /// <summary>The ordinal of the last checkpoint (or seal) whose signature and chain hash verified; 0 if none.</summary>
    public long LastValidCheckpoint { get; init; }

    /// <summary>Records covered by valid signatures.</summary>
    public long VerifiedRecords { get; init; }

    /// <summary>
    /// The chain hash the last valid checkpoint (or the seal) signed, over <see cref="VerifiedRecords"/>
    /// records; empty when none verified. The broker's index keeps the seal's, to tell this recording from
    /// another validly signed one.
    /// </summary>
    public ReadOnlyMemory<byte> VerifiedChainHash { get; init; }

    /// <summary>Records found in complete segments (verified or not).</summary>
    public long RecordsRead { get; init; }

    /// <summary>
    /// For <see cref="VerificationStatus.Tampered"/>: the first record that cannot be trusted. When a
    /// signature fails over a span of records, this is the first record of that span
    /// (<see cref="TamperedThroughRecord"/> is the last).
    /// </summary>
    public long? TamperedAtRecord { get; init; }

    /// <summary>For <see cref="VerificationStatus.Tampered"/>: the last record of the span the failure covers.</summary>
    public long? TamperedThroughRecord { get; init; }

    /// <summary>Byte position in the file of the frame where the failure was found, if any.</summary>
    public long? FilePosition { get; init; }

    /// <summary>Offset of the seal, or of the last valid checkpoint when there is no seal.</summary>
    public TimeSpan VerifiedDuration { get; init; }
}
