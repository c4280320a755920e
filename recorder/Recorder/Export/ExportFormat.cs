namespace Recorder;

/// <summary>Formats a recording can be exported to.</summary>
public enum ExportFormat
{
    /// <summary>asciicast v2 (absolute times): output, input, resize, and markers for commands, approvals, notices and exit.</summary>
    AsciicastV2,

    /// <summary>asciicast v3 (intervals): as v2, plus the exit status as an <c>x</c> event.</summary>
    AsciicastV3,

    /// <summary>Plain text: timestamped commands, decisions, approvals, notices and output lines without escape sequences.</summary>
    Text,
}
