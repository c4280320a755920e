using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>
/// A stateful transform on one output stream, between the target and every reader (the
/// masker is one). It may hold back a tail it cannot decide on yet; the session calls
/// <see cref="FlushHeld"/> when no more output came within <see cref="HoldDelay"/>.
/// </summary>
public interface IOutputFilter
{
    /// <summary>How long held bytes may wait for more output.</summary>
    TimeSpan HoldDelay { get; }

    /// <summary>Whether bytes are held back.</summary>
    bool HasHeldBytes { get; }

    /// <summary>Transforms a chunk; writes what can be released.</summary>
    void Push(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output);

    /// <summary>Releases (or masks) what is held because the delay passed.</summary>
    void FlushHeld(IBufferWriter<byte> output);

    /// <summary>End of stream: writes what is left.</summary>
    void Complete(IBufferWriter<byte> output);
}

/// <summary>The identity transform.</summary>
public sealed class PassThroughFilter : IOutputFilter
{
    /// <summary>The shared instance (it holds no state).</summary>
    public static PassThroughFilter Instance { get; } = new();

    /// <inheritdoc/>
    public TimeSpan HoldDelay => TimeSpan.Zero;

    /// <inheritdoc/>
    public bool HasHeldBytes => false;

    /// <inheritdoc/>
    public void Push(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output) => output.Write(chunk);

    /// <inheritdoc/>
    public void FlushHeld(IBufferWriter<byte> output)
    {
    }

    /// <inheritdoc/>
    public void Complete(IBufferWriter<byte> output)
    {
    }
}
