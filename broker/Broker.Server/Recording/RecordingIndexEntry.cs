using Recorder;

namespace Broker.Server.Recording;

/// <summary>How many commands a session had and how they were decided.</summary>
internal sealed record RecordingCounts(int Commands, int Allowed, int Denied, int Review, int Approvals)
{
    public static RecordingCounts None { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Adds one command with its decision word (allow, deny, review).</summary>
    public RecordingCounts WithCommand(string decision) => decision switch
    {
        "allow" => this with { Commands = Commands + 1, Allowed = Allowed + 1 },
        "review" => this with { Commands = Commands + 1, Review = Review + 1 },
        _ => this with { Commands = Commands + 1, Denied = Denied + 1 },
    };
}

/// <summary>One session's row in the recording index.</summary>
internal sealed record RecordingIndexEntry
{
    /// <summary>The end reason of a session whose broker died before it ended.</summary>
    public const string CrashedReason = "BrokerCrashed";

    public required string SessionId { get; init; }

    public required string Location { get; init; }

    public required string Issuer { get; init; }

    public required string Subject { get; init; }

    public required string Target { get; init; }

    public required string Kind { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Null while the session runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    public long SizeBytes { get; init; }

    public int? ExitCode { get; init; }

    public string? EndReason { get; init; }

    public RecordingCounts Counts { get; init; } = RecordingCounts.None;

    /// <summary>What the recording's seal committed to when it was written; null until sealed (and for a session cut by a crash).</summary>
    public IndexedSeal? Seal { get; init; }

    /// <summary>When the broker found the recording's file gone; null while it is there.</summary>
    public DateTimeOffset? MissingSince { get; init; }

    /// <summary>The row of a session that just started.</summary>
    public static RecordingIndexEntry Started(RecordingHeader header, string location) => new()
    {
        SessionId = header.SessionId,
        Location = location,
        Issuer = header.Issuer,
        Subject = header.Subject,
        Target = header.Target,
        Kind = header.Kind,
        StartedAt = header.StartedAt,
    };

    /// <summary>
    /// The row rebuilt from a recording file. A recording without an exit was cut by a crash: it is
    /// marked so, ending at its last record.
    /// </summary>
    /// <exception cref="RecordingFormatException">The file is not a readable recording.</exception>
    public static async Task<RecordingIndexEntry> FromRecordingAsync(Stream stream, string location, long size, CancellationToken cancellationToken)
    {
        using var reader = RecordingReader.Open(stream);
        var counts = RecordingCounts.None;
        ExitEvent? exit = null;
        long lastOffset = 0;

        // A damaged tail still leaves a row: what precedes it is indexed, and verify tells the rest.
        await foreach (var recorded in reader.ReadEventsAsync(cancellationToken).ConfigureAwait(false))
        {
            lastOffset = recorded.OffsetNanoseconds;
            switch (recorded)
            {
                case CommandEvent command:
                    counts = counts.WithCommand(command.Command.Decision);
                    break;
                case ApprovalEvent approval when approval.Approval.Kind == ApprovalEventKind.Requested:
                    counts = counts with { Approvals = counts.Approvals + 1 };
                    break;
                case ExitEvent ended:
                    exit = ended;
                    break;
            }
        }

        var duration = reader.Sealed ? reader.Duration : TimeSpan.FromTicks(lastOffset / 100);
        return Started(reader.Header, location) with
        {
            EndedAt = duration < DateTimeOffset.MaxValue - reader.Header.StartedAt ? reader.Header.StartedAt + duration : DateTimeOffset.MaxValue,
            SizeBytes = size,
            ExitCode = exit?.Code,
            EndReason = exit?.Reason ?? CrashedReason,
            Counts = counts,
        };
    }
}

/// <summary>
/// A sealed recording as the index remembers it: a file replaced by another validly signed recording,
/// or cut and re-sealed, no longer matches.
/// </summary>
/// <param name="RecordCount">Records the seal covers.</param>
/// <param name="ChainHash">The final chain hash, lowercase hex.</param>
/// <param name="SizeBytes">The file's length at the seal.</param>
internal sealed record IndexedSeal(long RecordCount, string ChainHash, long SizeBytes);

/// <summary>Which rows <see cref="IRecordingIndex.List"/> returns; empty fields do not filter.</summary>
internal sealed record RecordingQuery
{
    public string? Subject { get; init; }

    public string? Target { get; init; }

    public DateTimeOffset? StartedFrom { get; init; }

    public DateTimeOffset? StartedBefore { get; init; }

    public bool HasDenied { get; init; }

    public bool HasApproval { get; init; }

    public int Limit { get; init; } = 100;
}
