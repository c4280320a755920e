using System.Buffers;
using Grpc.Core;

namespace AgentClient.Terminal;

/// <summary>
/// Output bytes on their way to a descriptor, gathered while more frames are already there to be read, and written
/// with one write(2) as soon as the next frame is not: a stream of small frames that arrived together costs one
/// write (and one wake-up of whoever reads the terminal or pipe) instead of one per frame, and a lone frame (a key's
/// echo) is written before the reader waits for anything, so it is never delayed. Nothing here waits for more bytes.
/// </summary>
internal sealed class GatheredOutput : IDisposable
{
    /// <summary>
    /// The most bytes gathered before they are written whatever follows: large enough that a burst of
    /// PTY-sized frames becomes one write, small enough to stay a pooled buffer of the usual size.
    /// </summary>
    public const int Capacity = 64 * 1024;

    private readonly Stream _output;
    private byte[]? _buffer;
    private int _count;

    public GatheredOutput(Stream output)
    {
        _output = output;
    }

    /// <summary>Adds <paramref name="bytes"/> behind what is gathered; a full buffer is written first.</summary>
    public void Add(ReadOnlySpan<byte> bytes)
    {
        if (_count + bytes.Length > Capacity)
        {
            Flush();
        }

        if (bytes.Length >= Capacity)
        {
            // Nothing is gathered now, and the bytes would fill the buffer on their own: they go as they are.
            _output.Write(bytes);
            return;
        }

        _buffer ??= ArrayPool<byte>.Shared.Rent(Capacity);
        bytes.CopyTo(_buffer.AsSpan(_count));
        _count += bytes.Length;
    }

    /// <summary>Writes what is gathered.</summary>
    public void Flush()
    {
        if (_count == 0)
        {
            return;
        }

        var count = _count;
        _count = 0;
        _output.Write(_buffer.AsSpan(0, count));
    }

    /// <summary>
    /// Moves <paramref name="frames"/> to its next frame; when that frame is not already there, what is gathered is
    /// written before waiting for it.
    /// </summary>
    public async Task<bool> MoveNextAsync<T>(IAsyncStreamReader<T> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var next = frames.MoveNext(cancellationToken);
        if (!next.IsCompletedSuccessfully)
        {
            // Not there yet, or the call failed: either way nothing more is coming now.
            Flush();
        }

        return await next.ConfigureAwait(false);
    }

    /// <summary>Gives the buffer back; bytes still gathered are dropped (callers flush at the end of a session).</summary>
    public void Dispose()
    {
        _count = 0;
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
