using System.Globalization;
using System.Text;

namespace Broker.Approvals;

/// <summary>
/// Shows a command to the person who approves it exactly as it will run: printable ASCII as is, and every other
/// character as an escape that names its code point, so that no control, bidirectional override, zero-width or
/// look-alike character can make a command look like another. Backslashes are doubled, so the escapes are
/// unambiguous. Shared by the broker (webhook text) and agent-client (<c>approvals show</c> and <c>watch</c>).
/// </summary>
internal static class VisibleCommand
{
    /// <summary>The command with every character outside printable ASCII made visible.</summary>
    public static string Render(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var builder = new StringBuilder(command.Length + 16);
        foreach (var rune in command.EnumerateRunes())
        {
            var value = rune.Value;
            switch (value)
            {
                case '\\': builder.Append(@"\\"); continue;
                case '\t': builder.Append(@"\t"); continue;
                case '\n': builder.Append(@"\n"); continue;
                case '\r': builder.Append(@"\r"); continue;
                case 0x1B: builder.Append(@"\e"); continue;
            }

            if (value is >= 0x20 and < 0x7F)
            {
                builder.Append((char)value);
            }
            else if (value < 0x80)
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{value:x2}");
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{{{value:x4}}}");
            }
        }

        return builder.ToString();
    }

    /// <summary>What kinds of hidden or look-alike characters <paramref name="command"/> holds, in words (empty when none).</summary>
    public static IReadOnlyList<string> Warnings(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rune in command.EnumerateRunes())
        {
            var value = rune.Value;
            if (value is < 0x20 and not '\t' and not '\n' || value == 0x7F || value is >= 0x80 and <= 0x9F)
            {
                found.Add("control characters");
            }
            else if (value is 0x061C or 0x200E or 0x200F or >= 0x202A and <= 0x202E or >= 0x2066 and <= 0x2069)
            {
                found.Add("bidirectional controls (text shown out of order)");
            }
            else if (value is >= 0x200B and <= 0x200D or 0x2060 or 0xFEFF or 0x00AD || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format)
            {
                found.Add("zero-width or invisible characters");
            }
            else if (value >= 0x80)
            {
                found.Add("non-ASCII characters (look-alikes possible)");
            }
        }

        return [.. found];
    }
}
