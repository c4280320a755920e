using System.Threading.Channels;

namespace Broker.Server.Audit;

/// <summary>
/// Where the broker posts audit events, and the writer that stores them. <see cref="Post"/> never waits: it puts the
/// event in a bounded queue (<see cref="DefaultCapacity"/>) that one writer drains into the <see cref="IAuditLog"/> in
/// batches. When the store is slow or down the writer retries the batch it holds (backing off to 10 s) and the queue
/// fills; an event posted to a full queue is dropped and counted, never waited for, so a session's commands do not
/// stall behind the audit store. The count is logged and stored as an <c>audit.dropped</c> event as soon as the store
/// takes events again, so the log itself says where it has a gap. At a stop the queue is written out, within the
/// host's shutdown timeout. The retention sweep (the recordings' setting) runs at start and then every sweep interval.
/// </summary>
internal sealed partial class AuditTrail : IHostedService, IDisposable
{
    /// <summary>
    /// Events the queue holds: a few seconds of a busy broker's events (a command decided is one event; each holds a
    /// masked command of at most a few KiB), so a store outage of that long loses nothing, and the queue's memory stays
    /// bounded (4,096 × a few KiB) whatever the outage.
    /// </summary>
    public const int DefaultCapacity = 4096;

    private const int MaxBatch = 256;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private readonly IAuditLog _log;
    private readonly string _replica;
    private readonly TimeProvider _time;
    private readonly TimeSpan? _retention;
    private readonly TimeSpan _sweepInterval;
    private readonly ILogger _logger;
    private readonly Channel<AuditEvent> _queue;
    private readonly CancellationTokenSource _abort = new();
    private long _dropped;
    private long _written;
    private Task _writer = Task.CompletedTask;
    private Task _sweeper = Task.CompletedTask;

    public AuditTrail(IAuditLog log, string replica, TimeProvider time, TimeSpan? retention, TimeSpan sweepInterval, ILogger<AuditTrail> logger, int capacity = DefaultCapacity)
    {
        _log = log;
        _replica = replica;
        _time = time;
        _retention = retention;
        _sweepInterval = sweepInterval;
        _logger = logger;
        // Wait mode, so that TryWrite says when the queue is full (DropWrite would drop silently and report success).
        _queue = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>The store the events go to.</summary>
    public IAuditLog Log => _log;

    /// <summary>Events dropped so far because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events stored so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues <paramref name="auditEvent"/>, stamped with the time and this replica; never waits.</summary>
    public void Post(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (!_queue.Writer.TryWrite(auditEvent with { At = _time.GetUtcNow(), Replica = _replica }))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        _sweeper = _retention is null ? Task.CompletedTask : Task.Run(SweepAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Sessions have ended by now (their hosted services stop first): what is queued is written out, unless the
        // shutdown timeout passes first.
        _queue.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogLeftUnwritten(_logger, _queue.Reader.Count);
        }
        finally
        {
            await _abort.CancelAsync().ConfigureAwait(false);
        }

        await _sweeper.ConfigureAwait(false);
    }

    public void Dispose() => _abort.Dispose();

    private async Task WriteAsync()
    {
        var batch = new List<AuditEvent>(MaxBatch + 1);
        long reported = 0;

        // A drop that lands after this loop read the count but before it drained the queue is left for the next
        // batch; when that drain emptied the queue no event may come to wake the writer, so an unreported count is
        // itself a reason to go round again (and to write it out at a stop).
        while (Dropped > reported || await _queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var dropped = Dropped;
            if (dropped > reported)
            {
                batch.Add(new AuditEvent
                {
                    Kind = AuditEventKind.EventsDropped,
                    At = _time.GetUtcNow(),
                    Replica = _replica,
                    Fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["count"] = (dropped - reported).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                });
                LogDropped(_logger, dropped - reported, dropped);
                reported = dropped;
            }

            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (!await StoreAsync(batch).ConfigureAwait(false))
            {
                return;
            }

            Interlocked.Add(ref _written, batch.Count);
            batch.Clear();
        }
    }

    /// <summary>Stores <paramref name="batch"/>, retrying while the store fails; false when the stop's deadline passed first.</summary>
    private async Task<bool> StoreAsync(List<AuditEvent> batch)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await _log.AppendAsync(batch, _abort.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e)
            {
                // Any failure is retried, not only the store's own kinds: a writer that died on an unexpected one would
                // leave the queue filling and every later event dropped with nothing stored to say so.
                LogStoreFailed(_logger, batch.Count, Describe(e));
            }

            try
            {
                await Task.Delay(backoff, _time, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task SweepAsync()
    {
        while (!_abort.IsCancellationRequested)
        {
            try
            {
                var deleted = await _log.DeleteBeforeAsync(_time.GetUtcNow() - _retention!.Value, _abort.Token).ConfigureAwait(false);
                if (deleted > 0)
                {
                    LogSwept(_logger, deleted);
                }

                await Task.Delay(_sweepInterval, _time, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // As for the writer: a sweep that died on an unexpected failure would end retention silently.
                LogStoreFailed(_logger, 0, Describe(e));
                try
                {
                    await Task.Delay(_sweepInterval, _time, _abort.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>A failure as the log names it: its type too, since a retried failure may be of any kind.</summary>
    private static string Describe(Exception failure) => failure.GetType().Name + ": " + failure.Message;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: {Count} events were dropped because the queue was full ({Total} since start); the log holds an audit.dropped event where they are missing")]
    private static partial void LogDropped(ILogger logger, long count, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: storing {Count} events failed ({Reason}); retrying")]
    private static partial void LogStoreFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: the stop's deadline passed with {Count} events not written")]
    private static partial void LogLeftUnwritten(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit: {Count} events older than the retention were deleted")]
    private static partial void LogSwept(ILogger logger, int count);
}
