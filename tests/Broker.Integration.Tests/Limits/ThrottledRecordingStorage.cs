using Broker.Server.Recording;
using Recorder;

namespace Broker.Integration.Tests.Limits;

/// <summary>
/// The broker's own recording store, except that each new recording is written through a
/// <see cref="ThrottledStream"/>: a recorder whose storage is slow (or stops, or fails), as a busy disk or a
/// network mount would be. It notes how far each writer fell behind.
/// </summary>
internal sealed class ThrottledRecordingStorage(RecordingStore inner, long bytesPerSecond, bool hang = false, bool fail = false) : IRecordingStorage
{
    private readonly TaskCompletionSource _unhang = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _largestBacklog;

    /// <summary>Lets hung writes finish (so the test's broker can stop without waiting for them).</summary>
    public void Unhang() => _unhang.TrySetResult();

    /// <summary>The most bytes any writer had waiting for the slow stream, sampled at each of its writes.</summary>
    public long LargestBacklog => Interlocked.Read(ref _largestBacklog);

    public string PublicKeyPem => inner.PublicKeyPem;

    public RecordingWriter Create(RecordingHeader header, TimeProvider time)
    {
        var path = inner.PathFor(header.SessionId, header.StartedAt);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
        });
        RecordingWriter? writer = null;
        var slow = new ThrottledStream(file, bytesPerSecond, hang ? _unhang.Task : null, fail, () =>
        {
            if (writer is { } w)
            {
                var backlog = w.PendingBytes;
                long seen;
                while (backlog > (seen = Interlocked.Read(ref _largestBacklog)) && Interlocked.CompareExchange(ref _largestBacklog, backlog, seen) != seen)
                {
                }
            }
        });
        writer = RecordingWriter.Create(slow, header, inner.Key, inner.Options, time);
        return writer;
    }

    public string PathFor(string sessionId, DateTimeOffset started) => inner.PathFor(sessionId, started);

    public string? Find(string sessionId) => inner.Find(sessionId);

    public IEnumerable<string> EnumerateAll() => inner.EnumerateAll();

    public Stream OpenRead(string location) => inner.OpenRead(location);

    public long SizeOf(string location) => inner.SizeOf(location);

    public bool Delete(string location) => inner.Delete(location);
}

/// <summary>
/// A write-only stream that passes bytes on at a fixed rate; when hung, every write after the first waits for
/// <paramref name="unhung"/>; when failing, every write after the first throws, as a disk that went bad would.
/// </summary>
internal sealed class ThrottledStream(Stream inner, long bytesPerSecond, Task? unhung, bool fail, Action onWrite) : Stream
{
    private const int Chunk = 16 * 1024;
    private bool _wroteOnce;

    public override bool CanRead => false;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => true;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        onWrite();
        if (unhung is not null && _wroteOnce)
        {
            // A hung mount: the write does not return.
            await unhung.ConfigureAwait(false);
        }

        if (fail && _wroteOnce)
        {
            throw new IOException("injected write failure");
        }

        _wroteOnce = true;
        for (var offset = 0; offset < buffer.Length; offset += Chunk)
        {
            var part = buffer.Slice(offset, Math.Min(Chunk, buffer.Length - offset));
            await inner.WriteAsync(part, cancellationToken).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds((double)part.Length / bytesPerSecond), cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override void SetLength(long value) => inner.SetLength(value);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
