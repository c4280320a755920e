namespace Recorder;

/// <summary>Which stream of the target an output record came from.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "It names an output stream of the target (terminal, stdout, stderr), not a System.IO.Stream.")]
public enum OutputStream
{
    /// <summary>A terminal (PTY) session's single output stream.</summary>
    Terminal = 0,

    /// <summary>Standard output of a session without a terminal.</summary>
    Stdout = 1,

    /// <summary>Standard error of a session without a terminal.</summary>
    Stderr = 2,
}
