using System.Globalization;
using System.Text.RegularExpressions;

namespace Recorder;

/// <summary>Turning terminal bytes and offsets into text people read; shared by the exporters and the replay tool.</summary>
public static partial class TerminalText
{
    /// <summary>Formats an offset as +HH:MM:SS.mmm.</summary>
    public static string FormatOffset(long nanoseconds)
    {
        var time = TimeSpan.FromTicks(nanoseconds / 100);
        return string.Create(CultureInfo.InvariantCulture, $"+{(int)time.TotalHours:00}:{time.Minutes:00}:{time.Seconds:00}.{time.Milliseconds:000}");
    }

    /// <summary>Removes CSI, OSC, DCS and two-byte escape sequences, and control characters other than tab and newline.</summary>
    public static string StripControls(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Controls().Replace(text, "");
    }

    [GeneratedRegex(@"\x1B\[[0-?]*[ -/]*[@-~]|\x1B\][^\x07\x1B]*(?:\x07|\x1B\\)?|\x1B[P^_][^\x1B]*(?:\x1B\\)?|\x1B[ -/]*[0-~]|[\x00-\x08\x0B-\x1F\x7F]")]
    private static partial Regex Controls();
}
