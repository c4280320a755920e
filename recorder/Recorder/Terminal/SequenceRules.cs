namespace Recorder.Terminal;

/// <summary>What to do with one complete control sequence.</summary>
internal enum SequenceAction
{
    /// <summary>It only draws: pass it (normalized to its 7-bit form).</summary>
    Pass,

    /// <summary>A mode set or reset: pass only the modes that only draw.</summary>
    PassDrawingModes,

    /// <summary>It acts outside the screen: drop it.</summary>
    Drop,
}

/// <summary>
/// Which sequences only draw on the screen. An allow-list: anything not known to only draw is
/// dropped, so a sequence a terminal answers (a query), or one that acts on the window, the
/// clipboard, the keyboard or the colour table, never reaches the auditor's terminal. Names follow
/// the xterm control sequences document (ctlseqs).
/// </summary>
internal static class SequenceRules
{
    /// <summary>ANSI modes that only change drawing: IRM (insert), LNM (new line).</summary>
    private static readonly int[] AnsiDrawingModes = [4, 20];

    /// <summary>
    /// DEC private modes that only change drawing: reverse video, origin, autowrap, cursor blink and
    /// visibility, the alternate screen, left/right margins, sixel scrolling, DECNCSM, synchronized output.
    /// Mouse, focus, paste, keypad and key modes change what the auditor's keys send, and are dropped.
    /// </summary>
    private static readonly int[] PrivateDrawingModes = [5, 6, 7, 12, 25, 47, 69, 80, 95, 1047, 1048, 1049, 2026];

    public static (SequenceAction Action, FilteredSequenceKind Kind) Csi(byte marker, ReadOnlySpan<byte> intermediates, byte final, ReadOnlySpan<byte> parameters)
    {
        if (intermediates.IsEmpty)
        {
            return marker switch
            {
                0 => PlainCsi(final, parameters),
                (byte)'?' => PrivateCsi(final),
                (byte)'>' => Drop(final switch
                {
                    (byte)'c' or (byte)'n' or (byte)'q' => FilteredSequenceKind.Query,
                    (byte)'m' or (byte)'u' or (byte)'f' => FilteredSequenceKind.InputMode,
                    (byte)'t' or (byte)'T' => FilteredSequenceKind.Title,
                    _ => FilteredSequenceKind.Other,
                }),
                (byte)'=' => Drop(final == 'c' ? FilteredSequenceKind.Query : final == 'u' ? FilteredSequenceKind.InputMode : FilteredSequenceKind.Other),
                (byte)'<' => Drop(final == 'u' ? FilteredSequenceKind.InputMode : FilteredSequenceKind.Other),
                _ => Drop(FilteredSequenceKind.Other),
            };
        }

        if (marker != 0 || intermediates.Length != 1)
        {
            return Drop(final is (byte)'p' or (byte)'w' or (byte)'y' or (byte)'u' ? FilteredSequenceKind.Query : FilteredSequenceKind.Other);
        }

        return (intermediates[0], final) switch
        {
            ((byte)' ', (byte)'q' or (byte)'@' or (byte)'A') => Pass(),
            ((byte)'!', (byte)'p') => Pass(),
            ((byte)'"', (byte)'q') => Pass(),
            ((byte)'$', (byte)'r' or (byte)'t' or (byte)'v' or (byte)'x' or (byte)'z' or (byte)'{') => Pass(),
            ((byte)'*', (byte)'x') => Pass(),
            ((byte)'\'', (byte)'}' or (byte)'~') => Pass(),
            ((byte)'#', (byte)'{' or (byte)'}' or (byte)'p' or (byte)'q') => Pass(),
            ((byte)'$', (byte)'p' or (byte)'w' or (byte)'u') => Drop(FilteredSequenceKind.Query),
            ((byte)'*', (byte)'y') => Drop(FilteredSequenceKind.Query),
            ((byte)'#', (byte)'|') => Drop(FilteredSequenceKind.Query),
            ((byte)'+', (byte)'p') => Drop(FilteredSequenceKind.Query),
            ((byte)'#', (byte)'P' or (byte)'Q' or (byte)'R') => Drop(FilteredSequenceKind.ColourOrFont),
            ((byte)'\'', (byte)'w' or (byte)'z' or (byte)'{' or (byte)'|') => Drop(FilteredSequenceKind.InputMode),
            _ => Drop(FilteredSequenceKind.Other),
        };
    }

    /// <summary>An escape sequence that is neither CSI nor a string: ESC, its intermediates, its final byte.</summary>
    public static (SequenceAction Action, FilteredSequenceKind Kind) Escape(ReadOnlySpan<byte> intermediates, byte final)
    {
        if (intermediates.IsEmpty)
        {
            return final switch
            {
                // Cursor save/restore, index, next line, tab set, reverse index, single shifts, full
                // reset, back/forward index, locking shifts.
                (byte)'7' or (byte)'8' or (byte)'D' or (byte)'E' or (byte)'H' or (byte)'M' or (byte)'N' or (byte)'O'
                    or (byte)'c' or (byte)'6' or (byte)'9' or (byte)'n' or (byte)'o' or (byte)'|' or (byte)'}' or (byte)'~' => Pass(),
                (byte)'\\' => Drop(FilteredSequenceKind.Other), // a lone string terminator: nothing to terminate
                (byte)'Z' => Drop(FilteredSequenceKind.Query),
                (byte)'k' => Drop(FilteredSequenceKind.Title),
                (byte)'=' or (byte)'>' => Drop(FilteredSequenceKind.InputMode),
                _ => Drop(FilteredSequenceKind.Other),
            };
        }

        if (intermediates.Length != 1)
        {
            return Drop(FilteredSequenceKind.Other);
        }

        return intermediates[0] switch
        {
            // Character set designation (G0..G3), and the line size and alignment test of ESC #.
            (byte)'(' or (byte)')' or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'/' => Pass(),
            (byte)'#' when final is (byte)'3' or (byte)'4' or (byte)'5' or (byte)'6' or (byte)'8' => Pass(),
            _ => Drop(FilteredSequenceKind.Other),
        };
    }

    /// <summary>A device control string, decided at its final byte: only sixel graphics draw.</summary>
    public static (SequenceAction Action, FilteredSequenceKind Kind) DeviceControl(byte marker, ReadOnlySpan<byte> intermediates, byte final)
    {
        if (marker == 0 && intermediates.IsEmpty && final == 'q')
        {
            return Pass();
        }

        if (intermediates.Length == 1 && final == 'q' && intermediates[0] is (byte)'$' or (byte)'+')
        {
            return Drop(FilteredSequenceKind.Query);
        }

        return Drop(final switch
        {
            (byte)'|' => FilteredSequenceKind.InputMode,
            (byte)'{' => FilteredSequenceKind.ColourOrFont,
            _ => FilteredSequenceKind.Other,
        });
    }

    /// <summary>An operating system command, by its number: none of them only draws.</summary>
    public static FilteredSequenceKind OperatingSystemCommand(int number) => number switch
    {
        0 or 1 or 2 => FilteredSequenceKind.Title,
        52 => FilteredSequenceKind.Clipboard,
        4 or 5 or (>= 10 and <= 19) or 50 or 104 or 105 or 106 or (>= 110 and <= 119) => FilteredSequenceKind.ColourOrFont,
        _ => FilteredSequenceKind.Other,
    };

    /// <summary>True for a mode (of a set/reset sequence) that only changes drawing.</summary>
    public static bool IsDrawingMode(byte marker, int mode) =>
        (marker == '?' ? PrivateDrawingModes : AnsiDrawingModes).AsSpan().Contains(mode);

    /// <summary>The kind a dropped mode counts as.</summary>
    public static FilteredSequenceKind ModeKind(byte marker, int mode) =>
        marker == '?' && mode is 1 or 9 or 66 or 67 or 1004 or 1007 or 1035 or 1036 or 1037 or 1039 or 2004 or (>= 1000 and <= 1006) or 1015 or 1016
            ? FilteredSequenceKind.InputMode
            : FilteredSequenceKind.Other;

    private static (SequenceAction, FilteredSequenceKind) PlainCsi(byte final, ReadOnlySpan<byte> parameters) => final switch
    {
        // Cursor movement, erasing, inserting and deleting, scrolling, tabs, repeat, attributes, margins, save/restore.
        (byte)'@' or (byte)'A' or (byte)'B' or (byte)'C' or (byte)'D' or (byte)'E' or (byte)'F' or (byte)'G' or (byte)'H' or (byte)'I'
            or (byte)'J' or (byte)'K' or (byte)'L' or (byte)'M' or (byte)'P' or (byte)'S' or (byte)'T' or (byte)'X' or (byte)'Z'
            or (byte)'`' or (byte)'a' or (byte)'b' or (byte)'d' or (byte)'e' or (byte)'f' or (byte)'g' or (byte)'m' or (byte)'r'
            or (byte)'s' or (byte)'u' => Pass(),
        (byte)'h' or (byte)'l' => (SequenceAction.PassDrawingModes, FilteredSequenceKind.Other),
        (byte)'c' or (byte)'n' or (byte)'x' => Drop(FilteredSequenceKind.Query),
        (byte)'t' => Drop(WindowOperation(parameters)),
        (byte)'q' => Drop(FilteredSequenceKind.Other), // keyboard LEDs
        _ => Drop(FilteredSequenceKind.Other),
    };

    private static (SequenceAction, FilteredSequenceKind) PrivateCsi(byte final) => final switch
    {
        (byte)'J' or (byte)'K' or (byte)'W' => Pass(),
        (byte)'h' or (byte)'l' => (SequenceAction.PassDrawingModes, FilteredSequenceKind.Other),
        (byte)'n' or (byte)'S' or (byte)'m' or (byte)'u' => Drop(FilteredSequenceKind.Query),
        _ => Drop(FilteredSequenceKind.Other),
    };

    /// <summary>xterm window operations (CSI Ps ; ... t): reports are queries, 22/23 save and restore the title, the rest move or resize the window.</summary>
    private static FilteredSequenceKind WindowOperation(ReadOnlySpan<byte> parameters)
    {
        var end = parameters.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        var first = end < 0 ? parameters : parameters[..end];
        var operation = first.Length is > 0 and <= 3 ? int.Parse(first, provider: System.Globalization.CultureInfo.InvariantCulture) : -1;
        return operation switch
        {
            11 or 13 or 14 or 15 or 16 or 18 or 19 or 20 or 21 => FilteredSequenceKind.Query,
            22 or 23 => FilteredSequenceKind.Title,
            _ => FilteredSequenceKind.Other,
        };
    }

    private static (SequenceAction, FilteredSequenceKind) Pass() => (SequenceAction.Pass, FilteredSequenceKind.Other);

    private static (SequenceAction, FilteredSequenceKind) Drop(FilteredSequenceKind kind) => (SequenceAction.Drop, kind);
}
