using Recorder.ObjectStore;

namespace Broker.Server.Recording.ObjectStore;

/// <summary>
/// A recording read back from the bucket, as a seekable stream: on first use its parts are downloaded in
/// order into a temporary file (deleted when the stream is disposed), so a reader that rewinds (the verifier,
/// the index) works as on the local file and memory holds one buffer whatever the recording's size.
/// A store that cannot be read surfaces as an <see cref="IOException"/>, like a disk that cannot.
/// </summary>
internal sealed class BucketRecordingStream(RecordingBucket bucket, string sessionId) : Stream
{
    private FileStream? _file;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => File.Length;

    public override long Position
    {
        get => File.Position;
        set => File.Position = value;
    }

    private FileStream File => _file ?? Task.Run(() => DownloadAsync(CancellationToken.None)).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => File.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => File.Read(buffer);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var file = _file ?? await DownloadAsync(cancellationToken).ConfigureAwait(false);
        return await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => File.Seek(offset, origin);

    public override void Flush()
    {
        // Read-only.
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file?.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<FileStream> DownloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _file = await bucket.DownloadToTemporaryFileAsync(sessionId, cancellationToken).ConfigureAwait(false);
            return _file;
        }
        catch (Exception e) when (e is not IOException and not OperationCanceledException)
        {
            throw new IOException($"the recording of session {sessionId} could not be read from the object store: {e.Message}", e);
        }
    }
}
