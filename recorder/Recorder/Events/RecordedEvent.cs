namespace Recorder;

/// <summary>One event read back from a recording.</summary>
/// <param name="Index">0-based position of the record in the recording.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since <see cref="RecordingHeader.StartedAt"/>; never decreases.</param>
public abstract record RecordedEvent(long Index, long OffsetNanoseconds)
{
    /// <summary>The offset as a <see cref="TimeSpan"/> (100 ns resolution).</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(OffsetNanoseconds / 100);
}

/// <summary>Bytes the agent sent to the target, exactly as accepted.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Data">The bytes.</param>
public sealed record InputEvent(long Index, long OffsetNanoseconds, ReadOnlyMemory<byte> Data)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>Bytes the target produced, after masking, exactly as the agent received them.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Stream">The stream the bytes came from.</param>
/// <param name="Data">The bytes.</param>
public sealed record OutputEvent(long Index, long OffsetNanoseconds, OutputStream Stream, ReadOnlyMemory<byte> Data)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>The terminal was resized.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Columns">New width.</param>
/// <param name="Rows">New height.</param>
public sealed record ResizeEvent(long Index, long OffsetNanoseconds, int Columns, int Rows)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>A command and its decision.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Command">The command.</param>
public sealed record CommandEvent(long Index, long OffsetNanoseconds, CommandRecord Command)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>A step of an approval.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Approval">The approval step.</param>
public sealed record ApprovalEvent(long Index, long OffsetNanoseconds, ApprovalRecord Approval)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>How many secrets each detector masked so far (or in an interval, as the broker chooses).</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Counts">Detector name to count.</param>
public sealed record MaskingCountsEvent(long Index, long OffsetNanoseconds, IReadOnlyDictionary<string, long> Counts)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>Something the broker wants on the record (a warning, a fault, an identity re-check...).</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Kind">A short machine-readable kind.</param>
/// <param name="Message">The message.</param>
public sealed record NoticeEvent(long Index, long OffsetNanoseconds, string Kind, string Message)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>The session's target exited.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Code">Exit code.</param>
/// <param name="Signal">Terminating signal number, 0 if none.</param>
/// <param name="Reason">Why the session ended.</param>
public sealed record ExitEvent(long Index, long OffsetNanoseconds, int Code, int Signal, string Reason)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>A labelled point in time.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Label">The label.</param>
public sealed record MarkerEvent(long Index, long OffsetNanoseconds, string Label)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>A command that ran has finished (as reported by the shell's prompt markers).</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="CommandNumber">The command's number (see <see cref="CommandRecord.Number"/>).</param>
/// <param name="ExitCode">The command's exit code.</param>
public sealed record CommandExitEvent(long Index, long OffsetNanoseconds, long CommandNumber, int ExitCode)
    : RecordedEvent(Index, OffsetNanoseconds);

/// <summary>A record of a type this reader does not know (written by a newer writer); kept so nothing is hidden.</summary>
/// <param name="Index">0-based position of the record.</param>
/// <param name="OffsetNanoseconds">Nanoseconds since the start.</param>
/// <param name="Type">The record type byte.</param>
/// <param name="Payload">The raw payload.</param>
public sealed record UnknownEvent(long Index, long OffsetNanoseconds, byte Type, ReadOnlyMemory<byte> Payload)
    : RecordedEvent(Index, OffsetNanoseconds);
