using System.Buffers;
using Recorder.Terminal;

namespace Recorder;

/// <summary>
/// Filters recorded or live terminal output on its way to a person's terminal (<c>replay play</c>,
/// <c>agent-client attach</c>): sequences that only draw pass, normalized to their 7-bit form;
/// sequences that act outside the screen are dropped and counted: clipboard access (OSC 52), title
/// and icon changes, queries whose answers the terminal would type into the person's shell (device
/// attributes, status reports, DECRQSS, XTGETTCAP, colour queries, ENQ...), colour table and font
/// changes, keyboard and mouse mode changes, and everything not known to only draw (an allow-list).
/// C1 controls (U+0080..U+009F, UTF-8 encoded) act as their ESC forms; bytes that are not UTF-8,
/// 8-bit C1 bytes included, become U+FFFD, as in a UTF-8 terminal; what passes is valid UTF-8. Sequences may
/// be split across writes in any way; the state is a few hundred bytes, whatever the input.
/// </summary>
/// <remarks>Not thread-safe: one filter per output stream.</remarks>
public sealed class TerminalOutputFilter
{
    private readonly TerminalParser? _parser;

    /// <summary>Creates a filter.</summary>
    /// <param name="passEverything">Pass every byte unchanged (the tools' <c>--pass-escapes</c>).</param>
    public TerminalOutputFilter(bool passEverything = false)
    {
        PassesEverything = passEverything;
        _parser = passEverything ? null : new TerminalParser(TerminalParserMode.Render);
    }

    /// <summary>True when the filter passes every byte.</summary>
    public bool PassesEverything { get; }

    /// <summary>What was dropped so far, by kind.</summary>
    public FilteredSequences Filtered => _parser?.Filtered ?? new FilteredSequences();

    /// <summary>Filters <paramref name="input"/> into <paramref name="output"/> (at most three bytes out per byte in).</summary>
    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_parser is null)
        {
            output.Write(input);
            return;
        }

        _parser.Parse(input, output);
    }

    /// <summary>Ends the output: closes a graphics string left open, drops a sequence cut short.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _parser?.Complete(output);
    }
}
