using System.Data.Common;
using Broker.Server.Logging;

namespace Broker.Server.Recording;

/// <summary>
/// The embedded index with a session's started row written behind the caller: it cost an exec an SQLite write (about
/// 0.18 ms at the median on a busy machine, docs/BENCHMARKS.md 2026-12-07 06:00) that no client waits for. Such an
/// upsert queues the row and returns; a thread-pool item writes the queue, and every read (and a removal) writes what
/// is queued first, so whoever reads through this index sees every row upserted before the read, exactly as before. A
/// row with an end is written before its upsert returns (after the queue, in place of its own started row if that is still
/// queued): <c>replay verify SESSION_ID</c> run on the
/// data directory reads the database file itself, right after the exit status, and checks the file against the seal
/// that row carries. A crash loses at most the queued started rows, which the start-up repair reads back from the files
/// as it does for a crash before a row is written.
/// </summary>
/// <remarks>
/// Only the data directory's own index is wrapped. Replicas sharing PostgreSQL read each other's rows, and another
/// replica cannot drain this one's queue, so their upserts stay synchronous.
/// </remarks>
internal sealed partial class QueuedRecordingIndex : IRecordingIndex, IDisposable
{
    private readonly IRecordingIndex _inner;
    private readonly ILogger _logger;
    private readonly Action<Action> _schedule;
    private readonly Action _writeQueued;
    private readonly Lock _queueGate = new();
    // The last row upserted per session and not yet written: an upsert replaces every column (RecordingColumns), so
    // a started row followed by the ended one before either is written leaves only the ended one to write.
    private readonly Dictionary<string, RecordingIndexEntry> _queued = new(StringComparer.Ordinal);
    // Held while queued rows are written: a reader that drains waits for a write already under way, so every row
    // queued before its read is in the index when it reads.
    private readonly Lock _writing = new();
    private bool _scheduled;
    private bool _disposed;

    /// <param name="inner">The index written to.</param>
    /// <param name="logger">Where a row that could not be written is reported.</param>
    /// <param name="schedule">Runs the writing of the queue off the caller's thread; null: the thread pool.</param>
    public QueuedRecordingIndex(IRecordingIndex inner, ILogger logger, Action<Action>? schedule = null)
    {
        _inner = inner;
        _logger = logger;
        _schedule = schedule ?? (work => ThreadPool.UnsafeQueueUserWorkItem(static w => w(), work, preferLocal: false));
        _writeQueued = WriteQueued;
    }

    /// <summary>
    /// Queues a row without an end (written off the caller's thread, and before any read through this index); writes a
    /// row with an end, after everything queued, before returning.
    /// </summary>
    public void Upsert(RecordingIndexEntry entry)
    {
        bool disposed;
        var schedule = false;
        lock (_queueGate)
        {
            disposed = _disposed;
            if (!disposed && entry.EndedAt is null)
            {
                _queued[entry.SessionId] = entry;
                schedule = !_scheduled;
                _scheduled = true;
            }
            else
            {
                // The ended row replaces every column of its started row: a short exec's end would otherwise pay for
                // both writes when the background write has not run yet (a busy machine).
                _queued.Remove(entry.SessionId);
            }
        }

        if (schedule)
        {
            _schedule(_writeQueued);
        }
        else if (disposed || entry.EndedAt is not null)
        {
            // An ended row (or any row after shutdown) goes straight to the index, as it always did; what was queued
            // before it is written first, so the session's started row cannot land after its end.
            lock (_writing)
            {
                WriteQueuedLocked();
                _inner.Upsert(entry);
            }
        }
    }

    public RecordingIndexEntry? Get(string sessionId)
    {
        Flush();
        return _inner.Get(sessionId);
    }

    public IReadOnlyList<RecordingIndexEntry> List(RecordingQuery query)
    {
        Flush();
        return _inner.List(query);
    }

    public IReadOnlyList<RecordingIndexEntry> EndedBefore(DateTimeOffset cutoff)
    {
        Flush();
        return _inner.EndedBefore(cutoff);
    }

    public IReadOnlyList<RecordingIndexEntry> Unended()
    {
        Flush();
        return _inner.Unended();
    }

    public IReadOnlySet<string> SessionIds()
    {
        Flush();
        return _inner.SessionIds();
    }

    public void Remove(string sessionId)
    {
        lock (_writing)
        {
            // A row queued before the removal must not come back after it.
            WriteQueuedLocked();
            _inner.Remove(sessionId);
        }
    }

    /// <summary>Writes every queued row before returning.</summary>
    public void Flush()
    {
        lock (_writing)
        {
            WriteQueuedLocked();
        }
    }

    /// <summary>Writes what is queued, then disposes the index written to.</summary>
    public void Dispose()
    {
        lock (_queueGate)
        {
            _disposed = true;
        }

        lock (_writing)
        {
            WriteQueuedLocked();
            (_inner as IDisposable)?.Dispose();
        }
    }

    private void WriteQueued()
    {
        // Cleared before the queue is taken: a row queued while this one writes schedules another write.
        lock (_queueGate)
        {
            _scheduled = false;
        }

        Flush();
    }

    private void WriteQueuedLocked()
    {
        RecordingIndexEntry[] rows;
        lock (_queueGate)
        {
            if (_queued.Count == 0)
            {
                return;
            }

            rows = [.. _queued.Values];
            _queued.Clear();
        }

        foreach (var row in rows)
        {
            try
            {
                _inner.Upsert(row);
            }
            catch (Exception ex) when (ex is DbException or IOException or TimeoutException)
            {
                // The file is the record; the index is rebuilt from it at the next start.
                LogIndexFailed(_logger, new LoggedText(row.SessionId), new LoggedText(ex.Message));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording index not updated for session {SessionId}: {Reason}")]
    private static partial void LogIndexFailed(ILogger logger, LoggedText sessionId, LoggedText reason);
}
