using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>What kind of input is being written to the target, for its recording.</summary>
public enum InputRecording
{
    /// <summary>Not recorded: a control line of the broker's own (the line-mode sync line).</summary>
    None,

    /// <summary>Keys typed to a running program (or a command's stdin): recorded redacted while the terminal reads a secret.</summary>
    Typed,

    /// <summary>A command line the broker assembled and decided (line mode): recorded as decided.</summary>
    Command,
}

/// <summary>
/// A stateful transform on the input as it is recorded (the masker is one): input still goes to the target at once,
/// but the recorded copy may be held back until it is decided (flushed after <see cref="HoldDelay"/>).
/// </summary>
public interface IInputFilter
{
    /// <summary>How long held bytes may wait for more input.</summary>
    TimeSpan HoldDelay { get; }

    /// <summary>Whether bytes are held back.</summary>
    bool HasHeldBytes { get; }

    /// <summary>Transforms a chunk; writes what can be recorded.</summary>
    void Push(ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>Releases (or masks) what is held because the delay passed.</summary>
    void FlushHeld(IBufferWriter<byte> output);

    /// <summary>End of input: writes what is left.</summary>
    void Complete(IBufferWriter<byte> output);
}

/// <summary>Records input as it is.</summary>
public sealed class PassThroughInputFilter : IInputFilter
{
    /// <summary>The shared instance (it holds no state).</summary>
    public static PassThroughInputFilter Instance { get; } = new();

    /// <inheritdoc/>
    public TimeSpan HoldDelay => TimeSpan.Zero;

    /// <inheritdoc/>
    public bool HasHeldBytes => false;

    /// <inheritdoc/>
    public void Push(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(input);
    }

    /// <inheritdoc/>
    public void FlushHeld(IBufferWriter<byte> output)
    {
    }

    /// <inheritdoc/>
    public void Complete(IBufferWriter<byte> output)
    {
    }
}
