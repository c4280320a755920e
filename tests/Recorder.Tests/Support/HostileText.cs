using System.Globalization;
using System.Text;

namespace Recorder.Tests.Support;

/// <summary>
/// A corpus of what an agent can put in any text field, and the check that none of it reached a
/// person's screen: what terminals and consoles act on (C0 and C1 controls in any encoding, DEL,
/// escape sequences) and what hides or reorders text (bidi controls, zero-width and other format
/// characters, line separators, tag characters).
/// </summary>
internal static class HostileText
{
    /// <summary>Hostile strings, each named for the failure it would cause.</summary>
    public static IReadOnlyList<(string Name, string Text)> Corpus { get; } =
    [
        ("OSC 52 clipboard write, BEL", "rm \u001b]52;c;ZWNobyBwd25lZA==\u0007"),
        ("OSC 52 clipboard write, ST", "\u001b]52;c;ZWNobyBwd25lZA==\u001b\\"),
        ("title change", "\u001b]0;innocent\u0007\u001b]2;title\u001b\\"),
        ("fake decision over the line", "\r\u001b[2K#1    +00:00:00.000  allow   exit 0    ls"),
        ("cursor hiding and clearing", "\u001b[?25l\u001b[2J\u001b[H\u001b[3J"),
        ("device attributes query", "\u001b[c\u001b[>c\u001b[6n\u001bZ\u0005"),
        ("DECRQSS and XTGETTCAP", "\u001bP$qm\u001b\\\u001bP+q544e\u001b\\"),
        ("window title report", "\u001b[21t\u001b[20t"),
        ("UTF-8 encoded C1 OSC and ST", "\u009d52;c;aGk=\u009c"),
        ("UTF-8 encoded C1 CSI", "\u009b2J\u009b?1049h"),
        ("NEL, IND and other C1", "\u0085\u0084\u008d\u009a"),
        ("backspace overwrite", "deny\b\b\b\ballow"),
        ("DEL and NUL", "a\u007fb\0c"),
        ("vertical tab and form feed", "a\u000bb\u000cc"),
        ("bidi override", "ls \u202Etxt.exe\u202C"),
        ("bidi isolates and marks", "\u2066\u2067\u2068\u2069\u200e\u200f\u061c"),
        ("zero-width characters", "r\u200bm \u200c\u200d\u2060\ufeff-rf"),
        ("line and paragraph separators", "first\u2028second\u2029third"),
        ("tag characters (hidden text)", "ok\U000E0041\U000E0042\U000E007F"),
        ("variation selector smuggling", "a\uFE00\uFE01\U000E0100"),
        ("hangul filler", "\u3164\u115F"),
        ("unpaired surrogates", "a\ud800b\udc00c"),
        ("soft hyphen and invisible operators", "x\u00ady\u2062z"),
        ("kitty graphics and APC", "\u001b_Ga=q,i=1;AAAA\u001b\\"),
        ("DCS tmux passthrough", "\u001bPtmux;\u001b\u001b]52;c;aGk=\u0007\u001b\\"),
        ("screen title", "\u001bktitle\u001b\\"),
        ("hyperlink", "\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007"),
        ("newline injection", "ls\n#2    +00:00:01.000  allow   exit 0    reboot"),
    ];

    /// <summary>True for a character no neutralized text may contain (tabs allowed or not).</summary>
    public static bool IsUnsafe(Rune rune, bool allowTab = false) =>
        !(allowTab && rune.Value == '\t') && (rune.Value < 0x20
        || rune.Value == 0x7F
        || (rune.Value is >= 0x80 and <= 0x9F)
        || rune.Value is >= 0xFE00 and <= 0xFE0D or >= 0xE0100 and <= 0xE01EF or 0x115F or 0x1160 or 0x3164 or 0xFFA0
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate);

    /// <summary>
    /// The first unsafe thing in <paramref name="bytes"/>, read as a person's terminal would (UTF-8;
    /// raw bytes 0x80-0x9F are C1 controls), or null. Newlines separate lines and are allowed.
    /// </summary>
    public static string? FindUnsafe(ReadOnlySpan<byte> bytes, bool allowTab = false)
    {
        var position = 0;
        while (position < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[position..], out var rune, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                if (bytes[position] is >= 0x80 and <= 0x9F)
                {
                    return $"raw C1 byte 0x{bytes[position]:x2} at byte {position}";
                }

                position += Math.Max(consumed, 1);
                continue;
            }

            if (rune.Value != '\n' && IsUnsafe(rune, allowTab))
            {
                var from = Math.Max(0, position - 20);
                return $"U+{rune.Value:X4} at byte {position} (after '{Encoding.UTF8.GetString(bytes[from..position])}')";
            }

            position += consumed;
        }

        return null;
    }

    public static string? FindUnsafe(string text, bool allowTab = false) => FindUnsafe(Encoding.UTF8.GetBytes(text), allowTab);
}
