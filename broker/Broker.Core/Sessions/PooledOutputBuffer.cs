using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>
/// Where a session's output filters write an event's bytes: an array rented from the shared pool
/// that is handed to the event as it is, with no copy, and returned to the pool by whoever writes
/// the event out (<see cref="SessionEvent.Output.Release"/>).
/// </summary>
internal sealed class PooledOutputBuffer : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;
    private byte[] _array = [];
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _array.Length)
        {
            throw new InvalidOperationException("advanced past the end of the buffer");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(_written);
    }

    /// <summary>Gives the written bytes away as an event; the buffer starts empty again (and rents anew when written to).</summary>
    public SessionEvent.Output Detach(OutputChannel stream)
    {
        var output = new SessionEvent.Output(stream, _array.AsMemory(0, _written)) { Lease = _array };
        _array = [];
        _written = 0;
        return output;
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _array.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(MinimumSize, _array.Length * 2)));
        _array.AsSpan(0, _written).CopyTo(larger);
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = larger;
    }
}
