using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>
/// Where an output filter writes: runs of bytes, each for one channel, in order. The writer returned for a channel
/// must be written to before the next call, which may start a new run (a new event).
/// </summary>
public interface IOutputSink
{
    /// <summary>The writer for the next bytes of <paramref name="channel"/>.</summary>
    IBufferWriter<byte> Channel(OutputChannel channel);
}

/// <summary>
/// A stateful transform on a session's output, between the target and every reader (the masker is one). Every
/// channel the session has (a terminal; a command's stdout and stderr) goes through the one filter in arrival order,
/// so it can treat them as the one view the client sees; what it releases may belong to any channel. It may hold
/// back a tail it cannot decide on yet; the session calls <see cref="FlushHeld"/> when no more output came within
/// <see cref="HoldDelay"/>.
/// </summary>
public interface IOutputFilter
{
    /// <summary>How long held bytes may wait for more output.</summary>
    TimeSpan HoldDelay { get; }

    /// <summary>Whether bytes are held back.</summary>
    bool HasHeldBytes { get; }

    /// <summary>Transforms a chunk of <paramref name="channel"/>; writes what can be released.</summary>
    void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output);

    /// <summary>Releases (or masks) what is held because the delay passed.</summary>
    void FlushHeld(IOutputSink output);

    /// <summary>
    /// Everything held is of the last chunk, and that chunk was the terminal's echo of keys the client just typed (its
    /// own bytes): releases (or masks) what is held now, exactly as <see cref="FlushHeld"/> would when the hold delay
    /// passes, and returns true; or returns false and changes nothing, for a filter whose held bytes must wait the
    /// whole delay whatever they are. Only a filter that is right for <see cref="FlushHeld"/> at any moment (as a
    /// masker must be: a stalled stream may pause anywhere) should accept; the default declines.
    /// </summary>
    bool TryFlushEcho(IOutputSink output) => false;

    /// <summary><paramref name="channel"/> has ended; the others may go on.</summary>
    void EndChannel(OutputChannel channel, IOutputSink output);

    /// <summary>End of all output: writes what is left.</summary>
    void Complete(IOutputSink output);

    /// <summary>The terminal was resized (what is drawn from now on wraps at the new width).</summary>
    void Resize(int columns, int rows)
    {
    }
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
    public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Channel(channel).Write(chunk);
    }

    /// <inheritdoc/>
    public void FlushHeld(IOutputSink output)
    {
    }

    /// <inheritdoc/>
    public void EndChannel(OutputChannel channel, IOutputSink output)
    {
    }

    /// <inheritdoc/>
    public void Complete(IOutputSink output)
    {
    }
}
