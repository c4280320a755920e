namespace Recorder.Terminal;

/// <summary>What a <see cref="TerminalParser"/> lets through.</summary>
internal enum TerminalParserMode
{
    /// <summary>Text, controls and sequences that only draw, normalized to 7-bit form; the rest is dropped and counted.</summary>
    Render,

    /// <summary>Only text, tabs and line feeds (carriage returns become line feeds when asked): a plain transcript.</summary>
    TextOnly,
}
