using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>
/// The keys typed to a terminal whose echo has not come back yet. A terminal read that is exactly the next of them
/// (byte for byte, read soon after they were written) is the echo of what the client typed: bytes the client already
/// has. The session's output may then release what the filter holds of it at once instead of after the hold delay
/// (see docs/masking.md, "The echo of a typed key"). Anything else read clears them, so only a read that comes before
/// any other output can count as an echo.
/// </summary>
internal sealed class TypedEcho
{
    /// <summary>At most this many typed bytes wait for their echo: a key or a few; a paste is not a keystroke.</summary>
    internal const int Capacity = 16;

    /// <summary>How soon after the keys were written their echo must be read (a busy machine's scheduling delay, with room).</summary>
    internal static readonly TimeSpan Window = TimeSpan.FromMilliseconds(200);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly byte[] _pending = new byte[Capacity];
    private int _start;
    private int _count;
    private long _typedAt;

    public TypedEcho(TimeProvider time) => _time = time;

    /// <summary>Keys about to be written to the terminal (called before the write, so the echo cannot come first).</summary>
    public void Typed(ReadOnlySpan<byte> keys)
    {
        lock (_lock)
        {
            if (_start > 0)
            {
                _pending.AsSpan(_start, _count).CopyTo(_pending);
                _start = 0;
            }

            if (keys.IsEmpty || _count + keys.Length > Capacity)
            {
                // Too much to be a keystroke's echo: nothing waiting counts as one.
                Volatile.Write(ref _count, 0);
                return;
            }

            keys.CopyTo(_pending.AsSpan(_count));
            _typedAt = _time.GetTimestamp();
            Volatile.Write(ref _count, _count + keys.Length);
        }
    }

    /// <summary>
    /// Whether <paramref name="read"/>, read from the terminal, is the echo of the next keys typed (which it then
    /// consumes). Any other read clears what waits: an echo must come before the program's other output.
    /// </summary>
    public bool IsEcho(ReadOnlySequence<byte> read)
    {
        // The common case of a stream of program output: nothing typed waits, no lock taken.
        if (Volatile.Read(ref _count) == 0)
        {
            return false;
        }

        lock (_lock)
        {
            var waiting = _pending.AsSpan(_start, _count);
            var echo = !read.IsEmpty
                && read.Length <= waiting.Length
                && _time.GetElapsedTime(_typedAt) <= Window
                && StartsWith(waiting, read);
            if (!echo)
            {
                _start = 0;
                Volatile.Write(ref _count, 0);
                return false;
            }

            _start += (int)read.Length;
            Volatile.Write(ref _count, _count - (int)read.Length);
            if (_count == 0)
            {
                _start = 0;
            }

            return true;
        }
    }

    private static bool StartsWith(ReadOnlySpan<byte> waiting, ReadOnlySequence<byte> read)
    {
        foreach (var segment in read)
        {
            if (!waiting.StartsWith(segment.Span))
            {
                return false;
            }

            waiting = waiting[segment.Length..];
        }

        return true;
    }
}
