using System.Collections.Concurrent;
using System.Data.Common;
using Broker.Server.Logging;
using Recorder;

namespace Broker.Server.Recording;

/// <summary>
/// The broker's recordings as one thing: the storage holding the files, the index over them,
/// and the journals of sessions still running (for live attach).
/// </summary>
internal sealed partial class RecordingCatalog
{
    private readonly ConcurrentDictionary<string, RecordingJournal> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _closing = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger<RecordingCatalog> _logger;
    private readonly IRecordingKeys? _keys;
    private readonly Audit.AuditTrail? _audit;

    public RecordingCatalog(IRecordingStorage storage, IRecordingIndex index, TimeProvider time, ILogger<RecordingCatalog> logger, RecordingLimits? limits = null, IRecordingKeys? keys = null, Audit.AuditTrail? audit = null)
    {
        Storage = storage;
        Index = index;
        _time = time;
        _logger = logger;
        Limits = limits ?? RecordingLimits.None;
        _keys = keys;
        _audit = audit;
    }

    public IRecordingStorage Storage { get; }

    public IRecordingIndex Index { get; }

    /// <summary>Each target's recording cap and the data directory's free-space floor.</summary>
    public RecordingLimits Limits { get; }

    /// <summary>Opens the recording of a new session, indexes it as started and makes it attachable.</summary>
    /// <exception cref="IOException">The recording cannot be created.</exception>
    public RecordingJournal OpenJournal(RecordingHeader header, ILogger logger)
    {
        if (header.StartedAt == default)
        {
            // The file's day directory and the index row both follow the start time: fix it once.
            header = header with { StartedAt = _time.GetUtcNow() };
        }

        var writer = Storage.Create(header, _time);
        var path = Storage.PathFor(header.SessionId, writer.Header.StartedAt);
        var journal = new RecordingJournal(writer, path, logger, _time, Closed, Limits.QuotaFor(header.Target)) { Audit = _audit };
        _audit?.Post(Audit.AuditProjection.Opened(writer.Header));
        _running[header.SessionId] = journal;
        try
        {
            Index.Upsert(RecordingIndexEntry.Started(writer.Header, path));
        }
        catch (Exception ex) when (ex is DbException or IOException or TimeoutException)
        {
            // The file is the record; the index is rebuilt from it at the next start.
            LogIndexFailed(_logger, new LoggedText(header.SessionId), new LoggedText(ex.Message));
        }

        return journal;
    }

    /// <summary>
    /// The public key to verify a recording signed with <paramref name="signingKeyId"/>: the published key of whichever
    /// replica signed it, else this broker's own (against which another broker's recording verifies as tampered).
    /// </summary>
    public string PublicKeyFor(string signingKeyId)
    {
        try
        {
            return (signingKeyId.Length > 0 ? _keys?.Find(signingKeyId) : null) ?? Storage.PublicKeyPem;
        }
        catch (DbException ex)
        {
            LogKeyLookupFailed(_logger, new LoggedText(signingKeyId), new LoggedText(ex.Message));
            return Storage.PublicKeyPem;
        }
    }

    /// <summary>The journal of a session whose recording is still open, or null.</summary>
    public RecordingJournal? Running(string sessionId) => _running.GetValueOrDefault(sessionId);

    /// <summary>Where the recording of a session is, from the index or else the storage.</summary>
    public string? Find(string sessionId) => Index.Get(sessionId)?.Location is { } location && Storage.SizeOf(location) > 0
        ? location
        : Storage.Find(sessionId);

    /// <summary>
    /// Brings the index in line with the files at start-up: rows without an end (the broker died
    /// while their sessions ran) and files without a row are read back from the file. A row whose
    /// file is gone is never dropped: it is marked missing (and reported by <c>replay verify</c>), so a
    /// recording deleted behind the broker's back leaves a trace. A missing file that comes back is
    /// indexed again, and checked against the seal the row kept.
    /// </summary>
    public async Task<int> RepairAsync(CancellationToken cancellationToken)
    {
        var repaired = 0;
        var rows = Index.SessionIds().Select(Index.Get).OfType<RecordingIndexEntry>().ToDictionary(e => e.SessionId, StringComparer.Ordinal);
        var stale = Index.Unended().Where(e => !_running.ContainsKey(e.SessionId)).Select(e => e.Location).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var location in Storage.EnumerateAll())
        {
            var id = System.IO.Path.GetFileNameWithoutExtension(location);
            seen.Add(id);
            var row = rows.GetValueOrDefault(id);
            if ((row is not null && row.MissingSince is null && !stale.Contains(location)) || _running.ContainsKey(id))
            {
                continue;
            }

            if (await IndexFileAsync(location, id, row, cancellationToken).ConfigureAwait(false))
            {
                repaired++;
            }
        }

        foreach (var row in rows.Values.Where(r => !seen.Contains(r.SessionId) && !_running.ContainsKey(r.SessionId)))
        {
            // Not among the files listed (a replica on a shared index lists its own disk, not the bucket): the
            // storage may still have it by id, and a row cut by a crash or marked missing is read back from there.
            if (Storage.Find(row.SessionId) is { } found)
            {
                if ((row.MissingSince is not null || stale.Contains(row.Location)) && await IndexFileAsync(found, row.SessionId, row, cancellationToken).ConfigureAwait(false))
                {
                    repaired++;
                }
            }
            else if (row.MissingSince is null)
            {
                LogMissing(_logger, row.SessionId, row.Location);
                Index.Upsert(row with { MissingSince = _time.GetUtcNow() });
                repaired++;
            }
        }

        return repaired;
    }

    /// <summary>Deletes the recordings (and rows) of sessions that ended and started before <paramref name="cutoff"/>.</summary>
    public int DeleteStartedBefore(DateTimeOffset cutoff)
    {
        var deleted = 0;
        foreach (var entry in Index.EndedBefore(cutoff))
        {
            if (_running.ContainsKey(entry.SessionId))
            {
                continue;
            }

            try
            {
                Storage.Delete(entry.Location);
                Index.Remove(entry.SessionId);
                deleted++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogDeleteFailed(_logger, new LoggedText(entry.SessionId), new LoggedText(ex.Message));
            }
        }

        return deleted;
    }

    private async Task<bool> IndexFileAsync(string location, string sessionId, RecordingIndexEntry? known, CancellationToken cancellationToken)
    {
        try
        {
            var stream = Storage.OpenRead(location);
            await using (stream.ConfigureAwait(false))
            {
                var entry = await RecordingIndexEntry.FromRecordingAsync(stream, location, Storage.SizeOf(location), cancellationToken).ConfigureAwait(false);
                if (entry.SessionId != sessionId)
                {
                    // Another session's recording under this one's name: it indexes neither (verify by id reports it).
                    LogForeign(_logger, location, entry.SessionId);
                    return false;
                }

                stream.Position = 0;
                string signingKeyId;
                using (var reader = RecordingReader.Open(stream))
                {
                    signingKeyId = reader.Header.SigningKeyId;
                }

                stream.Position = 0;
                var verified = RecordingVerifier.Verify(stream, PublicKeyFor(signingKeyId));
                // The seal a row kept stays: it is what the file is checked against. A row rebuilt from the
                // file alone takes the file's own seal (trusted as found; replay verify checks the signature).
                entry = known?.Seal is { } kept
                    ? entry with { Seal = kept }
                    : entry with { Seal = verified.Status == VerificationStatus.IntactAndSealed ? new IndexedSeal(verified.VerifiedRecords, Convert.ToHexStringLower(verified.VerifiedChainHash.Span), entry.SizeBytes) : null };
                Index.Upsert(entry);
                return true;
            }
        }
        catch (Exception ex) when (ex is RecordingFormatException or IOException or UnauthorizedAccessException)
        {
            // A file in the recordings directory is not necessarily the broker's: what it says is shown as text.
            LogUnreadable(_logger, new LoggedText(location), new LoggedText(ex.Message));
            return false;
        }
    }

    /// <summary>Waits until every sealed recording is on disk (at shutdown).</summary>
    public Task WhenClosedAsync() => Task.WhenAll(_closing.Values);

    private void Closed(RecordingJournal journal)
    {
        var header = journal.Header;
        _closing[header.SessionId] = journal.WriterClosed;
        _ = journal.WriterClosed.ContinueWith(closed => _closing.TryRemove(header.SessionId, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _running.TryRemove(header.SessionId, out _);
        var exit = journal.Exit;
        try
        {
            var seal = journal.Seal;
            Index.Upsert(RecordingIndexEntry.Started(header, journal.Path) with
            {
                EndedAt = _time.GetUtcNow(),
                SizeBytes = seal?.Length ?? Storage.SizeOf(journal.Path),
                ExitCode = exit?.Code,
                EndReason = exit?.Reason.ToString(),
                Counts = journal.Counts,
                Seal = seal is null ? null : new IndexedSeal(seal.RecordCount, seal.ChainHashHex, seal.Length),
            });
        }
        catch (Exception ex) when (ex is DbException or IOException or TimeoutException)
        {
            LogIndexFailed(_logger, new LoggedText(header.SessionId), new LoggedText(ex.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording index not updated for session {SessionId}: {Reason}")]
    private static partial void LogIndexFailed(ILogger logger, LoggedText sessionId, LoggedText reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The public key {KeyId} could not be looked up, the recording is checked against this broker's own: {Reason}")]
    private static partial void LogKeyLookupFailed(ILogger logger, LoggedText keyId, LoggedText reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The recording of session {SessionId} is gone from {Location}: its index row is kept and marked missing")]
    private static partial void LogMissing(ILogger logger, string sessionId, string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Location} holds the recording of session {Other}, not the one its name says: not indexed")]
    private static partial void LogForeign(ILogger logger, string location, string other);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Location} could not be indexed: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, LoggedText location, LoggedText reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expired recording of session {SessionId} could not be deleted: {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, LoggedText sessionId, LoggedText reason);
}
