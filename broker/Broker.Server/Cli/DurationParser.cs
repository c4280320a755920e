using System.Globalization;

namespace Broker.Server.Cli;

/// <summary>Parses durations such as <c>90s</c>, <c>15m</c>, <c>1h</c>, <c>2d</c>.</summary>
internal static class DurationParser
{
    public static TimeSpan? Parse(string text)
    {
        if (text.Length < 2 || !double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return null;
        }

        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            'd' => TimeSpan.FromDays(value),
            _ => null,
        };
    }
}
