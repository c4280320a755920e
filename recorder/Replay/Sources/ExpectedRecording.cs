using Recorder;

namespace Replay.Sources;

/// <summary>
/// What a recording asked for by session id must be, from the broker's index: the session it records,
/// and (once sealed) the seal the broker wrote. A validly signed recording of another session copied
/// over the file, or this one cut and re-sealed, verifies on its own; against these it does not.
/// </summary>
/// <param name="SessionId">The session id that was asked for.</param>
/// <param name="RecordCount">Records the seal covered, when the index kept a seal.</param>
/// <param name="ChainHash">The seal's chain hash (lowercase hex), when the index kept a seal.</param>
/// <param name="SizeBytes">The file's length at the seal, when the index kept a seal.</param>
internal sealed record RecordingExpectation(string SessionId, long? RecordCount, string? ChainHash, long? SizeBytes)
{
    /// <summary>Only the session id is known (the index has no seal, or no row).</summary>
    public static RecordingExpectation ForSession(string sessionId) => new(sessionId, null, null, null);

    /// <summary>How the verified recording differs from what the index says, or null when it matches.</summary>
    public string? Mismatch(VerificationResult result, long? length)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Header is { } header && header.SessionId != SessionId)
        {
            return $"the recording's header names session {header.SessionId}, not {SessionId}: another session's recording is in its place";
        }

        if (ChainHash is null || RecordCount is null)
        {
            return null;
        }

        if (result.Status != VerificationStatus.IntactAndSealed)
        {
            return $"the index recorded a seal over {RecordCount} records, but the file is no longer sealed ({result.Detail})";
        }

        var hash = Convert.ToHexStringLower(result.VerifiedChainHash.Span);
        if (result.VerifiedRecords != RecordCount || hash != ChainHash || (SizeBytes is { } size && length is { } actual && actual != size))
        {
            return $"the file does not match the index: sealed over {RecordCount} records, chain hash {ChainHash[..16]}…, {SizeBytes} bytes when it was written; "
                + $"the file holds {result.VerifiedRecords} records, chain hash {hash[..Math.Min(16, hash.Length)]}…, {length} bytes (replaced, or cut and re-sealed)";
        }

        return null;
    }
}

/// <summary>A recording found by session id, with what the index says it must be.</summary>
internal sealed class IndexedRecordingSource(IRecordingSource inner, RecordingExpectation expected) : IRecordingSource
{
    public RecordingExpectation Expected => expected;

    public string Name => inner.Name;

    public long? Length => inner.Length;

    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);
}

/// <summary>A session the index lists whose recording file is gone: reported, never silently skipped.</summary>
internal sealed class MissingRecordingSource(string name, string detail) : IRecordingSource
{
    /// <summary>What the index knows of the lost recording.</summary>
    public string Detail => detail;

    public string Name => name;

    public long? Length => null;

    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) =>
        throw new FileNotFoundException($"{name}: the recording is missing: {detail}");
}
