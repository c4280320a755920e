using System.Globalization;
using System.Text;

namespace Recorder;

/// <summary>
/// Makes text that came from an agent, a program or a file safe to show to a person. Every character
/// that could act on a terminal or a console (C0 and C1 controls, DEL, and so every escape sequence's
/// introducer, in any encoding), or that could hide or reorder what is shown (bidirectional overrides
/// and isolates, zero-width and other invisible format characters, line and paragraph separators,
/// variation selectors other than the emoji/text ones, unpaired surrogates), is replaced by a visible
/// escape: <c>\e</c> for ESC, <c>\a \b \t \n \v \f \r \0</c>, <c>\x7f</c> for other C0 and DEL,
/// <c>\u009b</c> or <c>\U000e0041</c> for the others. Everything else, including letters of every
/// script, combining marks and emoji, is kept.
/// </summary>
/// <remarks>
/// Backslashes already in the text are kept as they are, so that commands stay readable; the two
/// characters <c>\e</c> and an escape character therefore look the same. The recording keeps the
/// exact bytes when that difference matters. Neutralizing is idempotent.
/// </remarks>
public static class UntrustedText
{
    /// <summary>What is appended when <see cref="Neutralize(ReadOnlySpan{char}, int, bool)"/> cuts a text.</summary>
    public const string Ellipsis = "…";

    /// <summary>The text with every unsafe character made visible; the empty string for null.</summary>
    /// <param name="text">Text from an agent, a program or a file.</param>
    public static string Neutralize(string? text)
    {
        if (text is null)
        {
            return string.Empty;
        }

        return IsSafe(text, keepTabs: false) ? text : Neutralize(text.AsSpan(), int.MaxValue, keepTabs: false);
    }

    /// <summary>The text with every unsafe character made visible, cut to about <paramref name="maxLength"/> characters; the text itself when nothing needs changing.</summary>
    /// <param name="text">Text from an agent, a program or a file.</param>
    /// <param name="maxLength">Longest result before the cut marker (see the span overload).</param>
    /// <param name="keepTabs">Keep horizontal tabs.</param>
    public static string Neutralize(string? text, int maxLength = int.MaxValue, bool keepTabs = false)
    {
        if (text is null)
        {
            return string.Empty;
        }

        return text.Length <= maxLength && IsSafe(text, keepTabs) ? text : Neutralize(text.AsSpan(), maxLength, keepTabs);
    }

    /// <summary>The text with every unsafe character made visible, cut to about <paramref name="maxLength"/> characters.</summary>
    /// <param name="text">Text from an agent, a program or a file.</param>
    /// <param name="maxLength">
    /// Longest result before the cut marker: a longer result ends with <see cref="Ellipsis"/> and the
    /// number of characters left out, so one field cannot flood a screen.
    /// </param>
    /// <param name="keepTabs">Keep horizontal tabs (for transcripts of terminal output, where they lay out columns).</param>
    public static string Neutralize(ReadOnlySpan<char> text, int maxLength = int.MaxValue, bool keepTabs = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        var builder = new StringBuilder(Math.Min(text.Length + 16, maxLength < int.MaxValue - 64 ? maxLength + 64 : text.Length + 16));
        var consumed = Append(builder, text, maxLength, keepTabs);
        if (consumed < text.Length)
        {
            builder.Append(Ellipsis[0]).Append(CultureInfo.InvariantCulture, $"(+{text.Length - consumed} characters)");
        }

        return builder.ToString();
    }

    /// <summary>
    /// Appends <paramref name="text"/> to <paramref name="builder"/> with every unsafe character made
    /// visible, stopping before the result would pass <paramref name="maxLength"/> appended characters.
    /// </summary>
    /// <returns>How many characters of <paramref name="text"/> were consumed (all of them unless cut).</returns>
    public static int Append(StringBuilder builder, ReadOnlySpan<char> text, int maxLength = int.MaxValue, bool keepTabs = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        Span<char> escape = stackalloc char[10];
        var appended = 0;
        var i = 0;
        while (i < text.Length)
        {
            // Runs of plain printable ASCII, the common case, are copied at once.
            var run = text[i..].IndexOfAnyExceptInRange(' ', '~');
            if (run != 0)
            {
                var length = run < 0 ? text.Length - i : run;
                length = Math.Min(length, maxLength - appended);
                builder.Append(text.Slice(i, length));
                appended += length;
                i += length;
                if (appended >= maxLength)
                {
                    return i;
                }

                continue;
            }

            var width = RuneWidth(text, i, out var value);
            var shown = keepTabs && value == '\t' ? 0 : EscapeOf(value, escape);
            var needed = shown == 0 ? width : shown;
            if (appended + needed > maxLength)
            {
                return i;
            }

            if (shown == 0)
            {
                builder.Append(text.Slice(i, width));
            }
            else
            {
                builder.Append(escape[..shown]);
            }

            appended += needed;
            i += width;
        }

        return i;
    }

    /// <summary>True when <paramref name="text"/> holds nothing <see cref="Neutralize(string?)"/> would change.</summary>
    public static bool IsSafe(ReadOnlySpan<char> text, bool keepTabs = false)
    {
        Span<char> escape = stackalloc char[10];
        var i = 0;
        while (i < text.Length)
        {
            var run = text[i..].IndexOfAnyExceptInRange(' ', '~');
            if (run < 0)
            {
                return true;
            }

            i += run;
            var width = RuneWidth(text, i, out var value);
            if (!(keepTabs && value == '\t') && EscapeOf(value, escape) != 0)
            {
                return false;
            }

            i += width;
        }

        return true;
    }

    /// <summary>True for a code point that is shown as an escape.</summary>
    public static bool IsUnsafe(int codePoint) => EscapeOf(codePoint, stackalloc char[10]) != 0;

    /// <summary>The UTF-16 length of the code point at <paramref name="index"/>; an unpaired surrogate is one code point of its own.</summary>
    private static int RuneWidth(ReadOnlySpan<char> text, int index, out int value)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            value = char.ConvertToUtf32(c, text[index + 1]);
            return 2;
        }

        value = c;
        return 1;
    }

    /// <summary>Writes the visible escape for <paramref name="value"/>; returns its length, or 0 when the character is shown as is.</summary>
    private static int EscapeOf(int value, Span<char> escape)
    {
        switch (value)
        {
            case 0x1B: return Short('e', escape);
            case 0x07: return Short('a', escape);
            case 0x08: return Short('b', escape);
            case 0x09: return Short('t', escape);
            case 0x0A: return Short('n', escape);
            case 0x0B: return Short('v', escape);
            case 0x0C: return Short('f', escape);
            case 0x0D: return Short('r', escape);
            case 0x00: return Short('0', escape);
        }

        if (value < 0x20 || value == 0x7F)
        {
            escape[0] = '\\';
            escape[1] = 'x';
            Hex(value, 2, escape[2..]);
            return 4;
        }

        if (value < 0x80 || !IsInvisibleOrControl(value))
        {
            return 0;
        }

        escape[0] = '\\';
        if (value <= 0xFFFF)
        {
            escape[1] = 'u';
            Hex(value, 4, escape[2..]);
            return 6;
        }

        escape[1] = 'U';
        Hex(value, 8, escape[2..]);
        return 10;
    }

    private static bool IsInvisibleOrControl(int value)
    {
        if (value is >= 0x80 and <= 0x9F)
        {
            return true;
        }

        // Variation selectors carry no glyph (and can smuggle text); the emoji and text presentation ones are kept.
        if (value is >= 0xFE00 and <= 0xFE0D or >= 0xE0100 and <= 0xE01EF)
        {
            return true;
        }

        // Hangul fillers render as blanks and are a known way to hide text.
        if (value is 0x115F or 0x1160 or 0x3164 or 0xFFA0)
        {
            return true;
        }

        if (value is >= 0xD800 and <= 0xDFFF)
        {
            return true;
        }

        return CharUnicodeInfo.GetUnicodeCategory(value) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
    }

    private static int Short(char name, Span<char> escape)
    {
        escape[0] = '\\';
        escape[1] = name;
        return 2;
    }

    private static void Hex(int value, int digits, Span<char> destination)
    {
        const string Digits = "0123456789abcdef";
        for (var i = digits - 1; i >= 0; i--)
        {
            destination[i] = Digits[value & 0xF];
            value >>= 4;
        }
    }
}
