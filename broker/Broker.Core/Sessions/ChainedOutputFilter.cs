using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>Two output filters in a row: what the first releases is what the second sees.</summary>
public sealed class ChainedOutputFilter : IOutputFilter
{
    private readonly IOutputFilter _first;
    private readonly IOutputFilter _second;
    private readonly ArrayBufferWriter<byte> _between = new(4096);

    /// <summary>Chains <paramref name="first"/> before <paramref name="second"/>.</summary>
    public ChainedOutputFilter(IOutputFilter first, IOutputFilter second)
    {
        _first = first;
        _second = second;
    }

    /// <inheritdoc/>
    // The longer delay: flushing a masker early would mask output that was about to prove harmless.
    public TimeSpan HoldDelay => _first.HoldDelay > _second.HoldDelay ? _first.HoldDelay : _second.HoldDelay;

    /// <inheritdoc/>
    public bool HasHeldBytes => _first.HasHeldBytes || _second.HasHeldBytes;

    /// <inheritdoc/>
    public void Push(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        _first.Push(chunk, _between);
        PassOn(output);
    }

    /// <inheritdoc/>
    public void FlushHeld(IBufferWriter<byte> output)
    {
        _first.FlushHeld(_between);
        PassOn(output);
        _second.FlushHeld(output);
    }

    /// <inheritdoc/>
    public void Complete(IBufferWriter<byte> output)
    {
        _first.Complete(_between);
        PassOn(output);
        _second.Complete(output);
    }

    private void PassOn(IBufferWriter<byte> output)
    {
        if (_between.WrittenCount > 0)
        {
            _second.Push(_between.WrittenSpan, output);
            _between.ResetWrittenCount();
        }
    }
}
