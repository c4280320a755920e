namespace Broker.Masking;

/// <summary>How one session's output is read besides as text: its terminal screen.</summary>
public sealed record MaskerOptions
{
    /// <summary>Follow the terminal screen (cursor movement, overwrites) and mask what is drawn there; the default.</summary>
    public static MaskerOptions Default { get; } = new();

    /// <summary>Text only, no screen: for text that is not terminal output (a command line).</summary>
    public static MaskerOptions TextOnly { get; } = new() { Screen = false };

    /// <summary>Whether secrets assembled on the screen by cursor movement are masked.</summary>
    public bool Screen { get; init; } = true;

    /// <summary>The terminal's width (rows wrap there); 0 when the output is not shown on a known terminal.</summary>
    public int Columns { get; init; }

    /// <summary>The terminal's height; 0 when unknown.</summary>
    public int Rows { get; init; }
}
