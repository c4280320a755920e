namespace Recorder.Format;

/// <summary>The type byte that starts every record inside a segment.</summary>
internal enum RecordType : byte
{
    Input = 1,
    Output = 2,
    Resize = 3,
    Command = 4,
    Approval = 5,
    MaskingCounts = 6,
    Notice = 7,
    Exit = 8,
    Marker = 9,
    CommandExit = 10,
}
