using Recorder;
using Recorder.ObjectStore;

namespace Broker.Server.Recording.ObjectStore;

/// <summary>
/// Recordings in the data directory with a copy in a bucket. Sessions write the local file exactly as
/// without a bucket (<see cref="RecordingStore"/>), and <see cref="RecordingUploader"/> copies each signed
/// range as it is written. Reads prefer the local file and fall back to the bucket once it is gone, so
/// download, replay, verification and the index work from the bucket alone; a deletion removes both copies
/// (the bucket's first, so that a failure leaves the recording whole and retention tries again).
/// </summary>
/// <remarks>
/// <see cref="IRecordingStorage"/> is synchronous (the local disk is); the bucket is only reached here when a
/// local file is missing or a recording is deleted, off any session's path, so those calls wait for the store.
/// </remarks>
internal sealed class BucketRecordingStorage(RecordingStore local, RecordingUploader uploader, bool listBucket = true) : IRecordingStorage
{
    private RecordingBucket Bucket => uploader.Bucket;

    public string PublicKeyPem => local.PublicKeyPem;

    public RecordingWriter Create(RecordingHeader header, TimeProvider time)
    {
        var writer = local.Create(header, time);
        uploader.Track(writer, local.PathFor(header.SessionId, writer.Header.StartedAt));
        return writer;
    }

    public string PathFor(string sessionId, DateTimeOffset started) => local.PathFor(sessionId, started);

    public string? Find(string sessionId)
    {
        if (local.Find(sessionId) is { } path)
        {
            return path;
        }

        try
        {
            return BucketAddress.IsSessionId(sessionId) && BucketLength(sessionId) > 0 ? Bucket.Address.LocationOf(sessionId) : null;
        }
        catch (IOException)
        {
            // The store is down: the recording cannot be had from it now, which is what "not found" tells the caller.
            return null;
        }
    }

    /// <summary>
    /// The local files, then the recordings only the bucket still has (by their bucket location). With the store
    /// down, the local files only: the index marks the others missing and takes them back when they are seen again.
    /// Without <c>listBucket</c> (an index shared by replicas, which knows what the bucket holds), the local files
    /// only: listing a bucket every replica writes to would cost each start a walk of everyone's recordings.
    /// </summary>
    public IEnumerable<string> EnumerateAll()
    {
        var locals = local.EnumerateAll().ToList();
        if (!listBucket)
        {
            return locals;
        }

        var known = locals.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        IReadOnlyDictionary<string, long> remote;
        try
        {
            remote = Wait(ct => Bucket.ListRecordingsAsync(ct), "list the recordings");
        }
        catch (IOException)
        {
            return locals;
        }

        return [.. locals, .. remote.Where(r => r.Value > 0 && !known.Contains(r.Key)).Select(r => Bucket.Address.LocationOf(r.Key)).Order(StringComparer.Ordinal)];
    }

    public Stream OpenRead(string location) =>
        IsLocal(location, out var sessionId) ? local.OpenRead(location) : new BucketRecordingStream(Bucket, sessionId);

    public long SizeOf(string location) =>
        IsLocal(location, out var sessionId) ? local.SizeOf(location) : BucketLength(sessionId);

    public bool Delete(string location)
    {
        var sessionId = SessionIdOf(location);
        var deleted = sessionId is not null && Wait(ct => Bucket.DeleteAsync(sessionId, ct), "delete the recording") > 0;
        return (!location.StartsWith(BucketAddress.Scheme, StringComparison.Ordinal) && local.Delete(location)) || deleted;
    }

    /// <summary>True when the location is a local file that exists; otherwise the session whose bucket copy stands for it.</summary>
    private bool IsLocal(string location, out string sessionId)
    {
        sessionId = SessionIdOf(location) ?? "";
        return sessionId.Length == 0 || (!location.StartsWith(BucketAddress.Scheme, StringComparison.Ordinal) && local.SizeOf(location) > 0);
    }

    private string? SessionIdOf(string location)
    {
        if (location.StartsWith(BucketAddress.Scheme, StringComparison.Ordinal))
        {
            return BucketAddress.TryParseLocation(location, out var address, out var id) && address == Bucket.Address ? id : null;
        }

        var name = Path.GetFileNameWithoutExtension(location);
        return BucketAddress.IsSessionId(name) ? name : null;
    }

    private long BucketLength(string sessionId) =>
        Wait(async ct => RecordingPart.Contiguous(await Bucket.ListPartsAsync(sessionId, ct).ConfigureAwait(false)) is { Count: > 0 } parts ? parts[^1].End : 0, "read the recording's size");

    private static T Wait<T>(Func<CancellationToken, Task<T>> call, string what)
    {
        try
        {
            return Task.Run(() => call(CancellationToken.None)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not IOException)
        {
            // Callers handle a storage that cannot be reached as they handle a disk that cannot: IOException.
            throw new IOException($"the object store could not {what}: {e.Message}", e);
        }
    }
}
