using System.Globalization;

namespace Replay.Cli;

/// <summary>A point in a recording given as a time ("90", "1:30", "00:01:30.5", "90s") or a command number ("#3").</summary>
internal readonly record struct Position(TimeSpan? Time, long? Command)
{
    /// <summary>Longest time accepted, in seconds (one hundred years; offsets are 64-bit nanoseconds).</summary>
    private const double MaxSeconds = 100 * 365.25 * 24 * 3600;

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
            // TimeSpan holds about 29,000 years; a time past it is not a position in any recording.
            if (value > MaxSeconds)
            {
                error = $"'{text}' is later than any recording can last";
                return false;
            }

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

    /// <summary>
    /// The offset in nanoseconds this position names, given the offsets of the commands a first pass
    /// found; null when the command does not exist.
    /// </summary>
    public long? Resolve(IReadOnlyDictionary<long, long> commandOffsets) =>
        Time is { } time ? Math.Min(time.Ticks, long.MaxValue / 100) * 100 : commandOffsets.TryGetValue(Command!.Value, out var offset) ? offset : null;
}
