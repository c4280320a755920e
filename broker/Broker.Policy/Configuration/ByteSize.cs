using System.Globalization;

namespace Broker.Policy;

/// <summary>Sizes as written in the policy file: <c>512</c>, <c>64KiB</c>, <c>100MiB</c>, <c>1GiB</c>, <c>2TiB</c> (powers of 1024; <c>KB</c>, <c>MB</c>... are powers of 1000).</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
    ];

    /// <summary>Parses a size; false when the text is not one (or overflows).</summary>
    public static bool TryParse(string text, out long bytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        bytes = 0;
        var trimmed = text.Trim();
        var factor = 1L;
        foreach (var (suffix, value) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.Ordinal))
            {
                trimmed = trimmed[..^suffix.Length].TrimEnd();
                factor = value;
                break;
            }
        }

        if (trimmed.Length == 0 || !long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        try
        {
            bytes = checked(amount * factor);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>A size as a person reads it: <c>1 GiB</c>, <c>512 MiB</c>, <c>1500 bytes</c>.</summary>
    public static string Format(long bytes)
    {
        foreach (var (suffix, factor) in Units.Take(4).Reverse())
        {
            if (bytes >= factor && bytes % factor == 0)
            {
                return $"{(bytes / factor).ToString(CultureInfo.InvariantCulture)} {suffix}";
            }
        }

        return bytes >= 10L << 20
            ? $"{(bytes / (double)(1 << 20)).ToString("0.#", CultureInfo.InvariantCulture)} MiB"
            : $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes";
    }
}
