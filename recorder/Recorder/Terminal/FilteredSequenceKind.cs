namespace Recorder;

/// <summary>Why a terminal sequence was kept from the auditor's terminal.</summary>
public enum FilteredSequenceKind
{
    /// <summary>Reads or writes the clipboard (OSC 52).</summary>
    Clipboard = 0,

    /// <summary>Sets, saves, restores or reports the window title or icon name.</summary>
    Title = 1,

    /// <summary>Asks the terminal something (device attributes, status, settings, colours...): its answer would be typed into the auditor's shell.</summary>
    Query = 2,

    /// <summary>Changes the colour table, dynamic colours or fonts.</summary>
    ColourOrFont = 3,

    /// <summary>Changes what the keyboard or mouse sends (mouse and focus reporting, bracketed paste, keypad and key modes, user-defined keys).</summary>
    InputMode = 4,

    /// <summary>Anything else that acts outside the screen or is not known to only draw (window moves, notifications, hyperlinks, printer, private strings).</summary>
    Other = 5,
}
