namespace Broker.Masking;

/// <summary>How one session's output is read besides as text: its terminal screen.</summary>
public sealed record MaskerOptions
{
    /// <summary>Follow the terminal screen (cursor movement, overwrites) and mask what is drawn there; the default.</summary>
    public static MaskerOptions Default { get; } = new();

    /// <summary>Text only, no screen: for text that is not terminal output (a command line).</summary>
    public static MaskerOptions TextOnly { get; } = new() { Screen = false };

    /// <summary>
    /// Keys typed to a terminal, as recorded: text only, and a carriage return (the Enter key) ends a line, so that what
    /// follows it is never read as part of a value typed before it.
    /// </summary>
    public static MaskerOptions TypedInput { get; } = new() { Screen = false, CarriageReturnEndsLine = true };

    /// <summary>Whether secrets assembled on the screen by cursor movement are masked.</summary>
    public bool Screen { get; init; } = true;

    /// <summary>The terminal's width (rows wrap there); 0 when the output is not shown on a known terminal.</summary>
    public int Columns { get; init; }

    /// <summary>
    /// Whether a carriage return ends a line of the text the detectors read. Off for terminal output, where a carriage
    /// return only moves the cursor and the text on both sides of it still reaches the screen and the recording.
    /// </summary>
    public bool CarriageReturnEndsLine { get; init; }

    /// <summary>The terminal's height; 0 when unknown.</summary>
    public int Rows { get; init; }

    /// <summary>
    /// Draws every redraw of a row into the screen model's cells at once rather than when they are needed: the same
    /// output, slower; for tests that check the two against each other.
    /// </summary>
    internal bool EagerRedrawCells { get; init; }

    /// <summary>
    /// Hands the screen model a carriage return, the text after it and an erase to the end of the row as separate events
    /// rather than as one redraw: the same output, slower; for tests that check the two against each other.
    /// </summary>
    internal bool SeparateRedrawEvents { get; init; }
}
