using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Recorder.ObjectStore;

/// <summary>
/// Recordings and public keys in an S3-compatible bucket (see <see cref="BucketAddress"/> for the layout).
/// Every operation is one or a few plain S3 requests: no state is kept here, so any number of brokers and
/// auditors can use the same bucket. Errors of the store come out as <see cref="Amazon.Runtime.AmazonServiceException"/>
/// (or <see cref="HttpRequestException"/> when it cannot be reached); callers decide whether to retry.
/// </summary>
public sealed class RecordingBucket : IDisposable
{
    private readonly IAmazonS3 _client;

    /// <param name="client">The S3 client (its endpoint, region and credentials); disposed with the bucket.</param>
    /// <param name="address">The bucket and prefix.</param>
    public RecordingBucket(IAmazonS3 client, BucketAddress address)
    {
        _client = client;
        Address = address;
    }

    /// <summary>The bucket and prefix.</summary>
    public BucketAddress Address { get; }

    /// <summary>Stores <paramref name="count"/> bytes of <paramref name="buffer"/> as the recording's bytes from <paramref name="offset"/> on (replacing an earlier try).</summary>
    public async Task PutPartAsync(string sessionId, long offset, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(buffer, 0, count, writable: false);
        var request = new PutObjectRequest
        {
            BucketName = Address.Bucket,
            Key = Address.PartKey(sessionId, offset),
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",
            // S3-compatible services do not all take aws-chunked bodies; a part is small and has a known length.
            UseChunkEncoding = false,
        };
        await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A recording's uploaded parts, in order of offset (gaps included: see <see cref="RecordingPart.Contiguous"/>).</summary>
    public async Task<IReadOnlyList<RecordingPart>> ListPartsAsync(string sessionId, CancellationToken cancellationToken)
    {
        var parts = new List<RecordingPart>();
        await foreach (var item in ListAsync(Address.PartsPrefix(sessionId), cancellationToken).ConfigureAwait(false))
        {
            if (Address.TryParsePart(sessionId, item.Key, out var offset))
            {
                parts.Add(new RecordingPart(item.Key, offset, item.Size ?? 0));
            }
        }

        return [.. parts.OrderBy(p => p.Offset)];
    }

    /// <summary>Every recording in the bucket with the length of its contiguous uploaded bytes.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ListRecordingsAsync(CancellationToken cancellationToken)
    {
        var parts = new Dictionary<string, List<RecordingPart>>(StringComparer.Ordinal);
        var prefix = Address.RecordingsPrefix;
        await foreach (var item in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            var slash = item.Key.IndexOf('/', prefix.Length);
            if (slash < 0)
            {
                continue;
            }

            var sessionId = item.Key[prefix.Length..slash];
            if (BucketAddress.IsSessionId(sessionId) && Address.TryParsePart(sessionId, item.Key, out var offset))
            {
                if (!parts.TryGetValue(sessionId, out var list))
                {
                    parts[sessionId] = list = [];
                }

                list.Add(new RecordingPart(item.Key, offset, item.Size ?? 0));
            }
        }

        return parts.ToDictionary(p => p.Key, p => RecordingPart.Contiguous(p.Value) is { Count: > 0 } run ? run[^1].End : 0, StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes the recording's contiguous uploaded bytes to <paramref name="destination"/>, part by part (never
    /// more than one part in memory); returns how many bytes were written, 0 when the bucket has none of it.
    /// </summary>
    public async Task<long> CopyToAsync(string sessionId, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long written = 0;
        foreach (var part in RecordingPart.Contiguous(await ListPartsAsync(sessionId, cancellationToken).ConfigureAwait(false)))
        {
            using var response = await _client.GetObjectAsync(Address.Bucket, part.Key, cancellationToken).ConfigureAwait(false);
            await response.ResponseStream.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            written += part.Size;
        }

        return written;
    }

    /// <summary>
    /// Downloads the recording's contiguous uploaded bytes into a new temporary file (deleted when it is closed)
    /// and returns it positioned at its start: a seekable copy for readers that rewind, in bounded memory.
    /// </summary>
    public async Task<FileStream> DownloadToTemporaryFileAsync(string sessionId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"recording-{Guid.NewGuid():N}.tmp");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        try
        {
            await CopyToAsync(sessionId, file, cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Deletes every object of a recording; returns how many went.</summary>
    public async Task<int> DeleteAsync(string sessionId, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var part in await ListPartsAsync(sessionId, cancellationToken).ConfigureAwait(false))
        {
            await _client.DeleteObjectAsync(Address.Bucket, part.Key, cancellationToken).ConfigureAwait(false);
            deleted++;
        }

        return deleted;
    }

    /// <summary>Publishes a signing key's public half (PEM) for auditors, at <see cref="BucketAddress.PublicKeyKey"/>.</summary>
    public async Task PublishPublicKeyAsync(string keyIdHex, string pem, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = Address.Bucket,
            Key = Address.PublicKeyKey(keyIdHex),
            ContentBody = pem,
            ContentType = "application/x-pem-file",
            UseChunkEncoding = false,
        };
        await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A published public key (PEM), or null when the bucket has none under that id.</summary>
    public async Task<string?> GetPublicKeyAsync(string keyIdHex, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetObjectAsync(Address.Bucket, Address.PublicKeyKey(keyIdHex), cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream);
            return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    private async IAsyncEnumerable<S3Object> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Address.Bucket, Prefix = prefix };
        while (true)
        {
            var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.S3Objects ?? [])
            {
                yield return item;
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }
}
