using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Amazon.Runtime;
using Broker.Server.Logging;
using Recorder;
using Recorder.ObjectStore;

namespace Broker.Server.Recording.ObjectStore;

/// <summary>
/// Copies recordings to the bucket as they are signed, off the sessions' path: a writer's checkpoint or seal
/// only advances a counter and queues the recording once; one background loop uploads each new signed range
/// as one object (<see cref="BucketAddress"/>), at most <see cref="PartBytes"/> per object, from the local
/// file (so memory stays at one part whatever the backlog). A failed upload is retried with exponential
/// backoff; while the store is down sessions run and write locally as usual, and the backlog is the local
/// files themselves. At start it publishes the signing key's public half and finishes what an earlier process
/// left (recordings whose signed bytes the bucket does not have all of).
/// </summary>
internal sealed partial class RecordingUploader : IAsyncDisposable
{
    /// <summary>Largest object one upload writes; a longer backlog goes in several.</summary>
    public const int PartBytes = 8 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, PendingUpload> _pending = new(StringComparer.Ordinal);
    private readonly Channel<PendingUpload> _ready = Channel.CreateUnbounded<PendingUpload>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly RecordingBucket _bucket;
    private readonly RecordingStore _local;
    private readonly TimeProvider _time;
    private readonly ILogger<RecordingUploader> _logger;
    private readonly TimeSpan _firstBackoff;
    private readonly TimeSpan _maxBackoff;
    private Task _pump = Task.CompletedTask;
    private Task _startup = Task.CompletedTask;

    public RecordingUploader(RecordingBucket bucket, RecordingStore local, TimeProvider time, ILogger<RecordingUploader> logger, TimeSpan? firstBackoff = null, TimeSpan? maxBackoff = null)
    {
        _bucket = bucket;
        _local = local;
        _time = time;
        _logger = logger;
        _firstBackoff = firstBackoff ?? TimeSpan.FromSeconds(1);
        _maxBackoff = maxBackoff ?? TimeSpan.FromSeconds(30);
    }

    public RecordingBucket Bucket => _bucket;

    /// <summary>Recordings whose signed bytes are not all in the bucket yet.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Starts the upload loop, and (in the background, retried until the store answers) the key's publication and the leftovers of an earlier process.</summary>
    public void Start()
    {
        _pump = Task.Run(PumpAsync);
        _startup = Task.Run(StartupAsync);
    }

    /// <summary>Uploads a new recording as its writer signs it.</summary>
    public void Track(RecordingWriter writer, string path)
    {
        var upload = new PendingUpload(writer.Header.SessionId, path, uploaded: 0);
        _pending[upload.SessionId] = upload;
        writer.Signed += (_, signed) => Advance(upload, signed.Length, signed.IsSeal);
        // A checkpoint written before the handler was attached is not missed: the writer keeps the length.
        Advance(upload, writer.SignedLength, final: false);
    }

    /// <summary>
    /// Waits (polling, at most <paramref name="limit"/> or until <paramref name="cancellationToken"/>) for the
    /// recordings sealed so far to reach the bucket: a broker that is stopped for good (scaled down) would otherwise
    /// leave the end of its last sessions on its own disk only. What does not make it is resumed at the next start.
    /// </summary>
    public async Task DrainAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        try
        {
            while (!_pending.IsEmpty)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), bounded.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            LogDrainIncomplete(_logger, _pending.Count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _ready.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_pump, _startup).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping mid-upload: what is not in the bucket is found again from the local files at the next start.
        }

        _stopping.Dispose();
    }

    private void Advance(PendingUpload upload, long signed, bool final)
    {
        lock (upload.Gate)
        {
            upload.Signed = Math.Max(upload.Signed, signed);
            upload.Final |= final;
            if (upload.Queued || (upload.Signed <= upload.Uploaded && !upload.Final))
            {
                return;
            }

            upload.Queued = true;
        }

        _ready.Writer.TryWrite(upload);
    }

    private async Task PumpAsync()
    {
        await foreach (var upload in _ready.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
        {
            await UploadAsync(upload).ConfigureAwait(false);
        }
    }

    private async Task UploadAsync(PendingUpload upload)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(PartBytes);
        try
        {
            var file = new FileStream(upload.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: false);
            await using (file.ConfigureAwait(false))
            {
                while (NextRange(upload) is { } range)
                {
                    file.Position = range.Offset;
                    await file.ReadExactlyAsync(buffer.AsMemory(0, range.Length), _stopping.Token).ConfigureAwait(false);
                    await _bucket.PutPartAsync(upload.SessionId, range.Offset, buffer, range.Length, _stopping.Token).ConfigureAwait(false);
                    lock (upload.Gate)
                    {
                        upload.Uploaded = range.Offset + range.Length;
                        if (upload.Failures > 0)
                        {
                            LogRecovered(_logger, new LoggedText(upload.SessionId), upload.Failures);
                        }

                        upload.Failures = 0;
                    }
                }
            }

            Finish(upload);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or EndOfStreamException)
        {
            // The local file went (retention, an operator) or shrank: there is nothing left to copy from.
            _pending.TryRemove(upload.SessionId, out _);
            LogLocalGone(_logger, new LoggedText(upload.SessionId), new LoggedText(e.Message));
        }
        catch (Exception e) when (IsStoreFailure(e) && !_stopping.IsCancellationRequested)
        {
            int failures;
            lock (upload.Gate)
            {
                failures = ++upload.Failures;
            }

            var delay = Backoff(failures);
            if (failures == 1 || failures % 10 == 0)
            {
                LogRetrying(_logger, new LoggedText(upload.SessionId), failures, delay.TotalSeconds, new LoggedText(e.Message));
            }

            _ = RequeueAfterAsync(upload, delay);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The next range to upload, or null (and the upload unqueued) when the bucket has everything signed.</summary>
    private static (long Offset, int Length)? NextRange(PendingUpload upload)
    {
        lock (upload.Gate)
        {
            if (upload.Signed > upload.Uploaded)
            {
                return (upload.Uploaded, (int)Math.Min(PartBytes, upload.Signed - upload.Uploaded));
            }

            upload.Queued = false;
            return null;
        }
    }

    private void Finish(PendingUpload upload)
    {
        lock (upload.Gate)
        {
            if (!upload.Final || upload.Queued || upload.Signed > upload.Uploaded)
            {
                return;
            }
        }

        _pending.TryRemove(upload.SessionId, out _);
        LogComplete(_logger, new LoggedText(upload.SessionId), upload.Uploaded);
    }

    private async Task RequeueAfterAsync(PendingUpload upload, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
            _ready.Writer.TryWrite(upload);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the next start finds the rest from the local file.
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(_maxBackoff.Ticks, _firstBackoff.Ticks << Math.Min(failures - 1, 20)));

    private async Task StartupAsync()
    {
        var attempt = 0;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _bucket.PublishPublicKeyAsync(_local.Key.KeyIdHex, _local.PublicKeyPem, _stopping.Token).ConfigureAwait(false);
                await ResumeAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsStoreFailure(e) && !_stopping.IsCancellationRequested)
            {
                var delay = Backoff(++attempt);
                LogStartupRetrying(_logger, attempt, delay.TotalSeconds, new LoggedText(e.Message));
                await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Queues every local recording not being written whose signed bytes the bucket does not all have.</summary>
    private async Task ResumeAsync()
    {
        var inBucket = await _bucket.ListRecordingsAsync(_stopping.Token).ConfigureAwait(false);
        var resumed = 0;
        foreach (var path in _local.EnumerateAll())
        {
            var sessionId = System.IO.Path.GetFileNameWithoutExtension(path);
            var uploaded = inBucket.GetValueOrDefault(sessionId);
            if (_pending.ContainsKey(sessionId) || _local.SizeOf(path) <= uploaded || SignedLengthOf(path) is not { } signed || signed <= uploaded)
            {
                continue;
            }

            var upload = new PendingUpload(sessionId, path, uploaded);
            if (_pending.TryAdd(sessionId, upload))
            {
                Advance(upload, signed, final: true);
                resumed++;
            }
        }

        if (resumed > 0)
        {
            LogResumed(_logger, resumed);
        }
    }

    private static long? SignedLengthOf(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return SignedPrefix.LengthOf(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The store refused or could not be reached: worth another try later.</summary>
    private static bool IsStoreFailure(Exception e) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TimeoutException
        || (e is OperationCanceledException && e.InnerException is TimeoutException);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload of the recording of session {SessionId} to the object store failed ({Failures} in a row), retrying in {Seconds} s: {Reason}")]
    private static partial void LogRetrying(ILogger logger, LoggedText sessionId, int failures, double seconds, LoggedText reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload of the recording of session {SessionId} to the object store works again after {Failures} failures")]
    private static partial void LogRecovered(ILogger logger, LoggedText sessionId, int failures);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The recording of session {SessionId} is in the object store ({Bytes} bytes)")]
    private static partial void LogComplete(ILogger logger, LoggedText sessionId, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The recording of session {SessionId} cannot be uploaded any further: its local file is gone ({Reason})")]
    private static partial void LogLocalGone(ILogger logger, LoggedText sessionId, LoggedText reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The object store did not answer at start (attempt {Attempt}), retrying in {Seconds} s: {Reason}")]
    private static partial void LogStartupRetrying(ILogger logger, int attempt, double seconds, LoggedText reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} recordings not yet all in the object store: their upload resumes at the next start")]
    private static partial void LogDrainIncomplete(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming the upload of {Count} recordings left by an earlier run")]
    private static partial void LogResumed(ILogger logger, int count);
}
