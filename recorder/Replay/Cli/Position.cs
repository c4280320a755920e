using System.Globalization;
using Recorder;

namespace Replay.Cli;

/// <summary>A point in a recording given as a time ("90", "1:30", "00:01:30.5", "90s") or a command number ("#3").</summary>
internal readonly record struct Position(TimeSpan? Time, long? Command)
{
    public static bool TryParse(string text, out Position position, out string? error)
    {
        position = default;
        error = null;
        text = text.Trim();
        if (text.StartsWith('#'))
        {
            if (long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0)
            {
                position = new Position(null, number);
                return true;
            }

            error = $"'{text}' is not a command number (#1, #2, ...)";
            return false;
        }

        var seconds = text.EndsWith('s') ? text[..^1] : text;
        if (double.TryParse(seconds, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            position = new Position(TimeSpan.FromSeconds(value), null);
            return true;
        }

        string[] formats = [@"h\:mm\:ss\.FFFFFFF", @"h\:mm\:ss", @"m\:ss\.FFFFFFF", @"m\:ss"];
        if (TimeSpan.TryParseExact(text, formats, CultureInfo.InvariantCulture, out var time))
        {
            position = new Position(time, null);
            return true;
        }

        error = $"'{text}' is neither a time (90, 1:30, 0:01:30.5) nor a command number (#3)";
        return false;
    }

    /// <summary>The offset in nanoseconds this position names in <paramref name="recording"/>, or null when the command does not exist.</summary>
    public long? Resolve(LoadedRecording recording)
    {
        if (Time is { } time)
        {
            return time.Ticks * 100;
        }

        var number = Command;
        return recording.Commands.FirstOrDefault(c => c.Command.Number == number)?.OffsetNanoseconds;
    }
}
