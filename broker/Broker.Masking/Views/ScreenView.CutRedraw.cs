namespace Broker.Masking.Views;

/// <summary>
/// A redraw cut by the end of a bulk push (<c>\rDownl</c> over a longer progress line): rather than drawing the row and
/// scanning it, the screen holds back its output from the last point it judged until the redraw goes on.
/// </summary>
/// <remarks>
/// <para>
/// At the end of a push the terminal shows what was released. A push that ends inside a redraw shorter than the one before
/// leaves the row showing the new text's start over the old text's end, which is not one stretch of the combined text and
/// had to be drawn into cells and scanned (about a third of all row scans of a bulk <c>cat</c> with progress bars, at
/// 4 KiB pushes). Instead, nothing from the last judged point on is released: the terminal goes on showing a state the
/// screen has already judged, and the cut redraw is judged with the rest of it when the next push arrives (as a clean
/// redraw, most of the time, with nothing to scan). The judged points (<c>_judged</c>) are two:
/// </para>
/// <list type="bullet">
/// <item>the end of the output at the last <see cref="Decide"/> that took the full path: what it returned was releasable
/// then, and it is still (releasing less of it later shows an earlier state of it);</item>
/// <item>the carriage return that starts a row left empty by a line feed (a progress line's first redraw,
/// <see cref="StartsEmptyRow"/>): every row before it was decided as it ended, and the row itself shows nothing yet. The
/// combined view reads the rows before it followed by their line feed, so nothing there depends on what comes after.</item>
/// </list>
/// <para>
/// No built-in detector's judgement of the held state is relied on: it is a state the full path released or would
/// release. What the held bytes draw is judged later by the full path: at the next push's end (the row drawn on), when the
/// hold delay fires (<see cref="Flush"/> scans the row first), or at the end of the stream.
/// </para>
/// <para>
/// Latency: only a push of at least <see cref="BulkPush"/> bytes is held this way. A keystroke's echo is a push of a few
/// bytes and goes out as before; a bulk push is a read of a program writing faster than the terminal is read, and the next
/// push follows at once. If none does, the hold delay releases the held bytes (scanned), as it does for a held candidate.
/// The held bytes are bounded by half of <see cref="MaskingProfile.MaxHoldBytes"/> (a row is held only that far back), so
/// the hold bound never has to commit on the screen's account.
/// </para>
/// </remarks>
internal sealed partial class ScreenView
{
    // A push this long is a read of bulk output: the next one follows at once.
    private const int BulkPush = 1024;

    // The latest point whose state on the screen is judged (see the type's remarks): what a held cut redraw releases up to.
    private long _judged;
    // Where the last Decide's output ended: the push now decided is what came after it.
    private long _decidedTo;

    /// <summary>How many times a redraw cut by the end of a push was held back rather than scanned: for tests and measurements.</summary>
    public int CutRedrawsHeld { get; private set; }

    /// <summary>
    /// Whether the row, about to be scanned, is a clean redraw's text cut by the end of a bulk push and can be held back to
    /// the last judged point instead (nothing else of the row is undecided: no candidate is held on it).
    /// </summary>
    private bool HoldsCutRedraw(long pushed, long rawEnd, bool final) =>
        !final && _redrawFrom >= 0 && _redrawColumns > 0 && _held.Count == 0 && pushed >= BulkPush &&
        rawEnd - _judged <= _profile.MaxHoldBytes / 2 && !IsCleanRedraw();
}
