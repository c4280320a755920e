using System.Globalization;

namespace Recorder;

/// <summary>Turning offsets into text people read; shared by the exporters and the replay tool.</summary>
public static class TerminalText
{
    /// <summary>Formats an offset as +HH:MM:SS.mmm.</summary>
    public static string FormatOffset(long nanoseconds)
    {
        var time = TimeSpan.FromTicks(nanoseconds / 100);
        return string.Create(CultureInfo.InvariantCulture, $"+{(int)time.TotalHours:00}:{time.Minutes:00}:{time.Seconds:00}.{time.Milliseconds:000}");
    }
}
