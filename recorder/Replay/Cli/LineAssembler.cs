using Recorder;

namespace Replay.Cli;

/// <summary>Cuts a stream of decoded terminal text into plain lines, remembering when each line started.</summary>
internal sealed class LineAssembler
{
    private readonly System.Text.StringBuilder _line = new();
    private long _start = -1;

    public IEnumerable<(long Offset, string Line)> Push(long offset, string text)
    {
        var lines = new List<(long, string)>();
        var start = 0;
        while (true)
        {
            var newline = text.IndexOf('\n', start);
            var piece = newline < 0 ? text.AsSpan(start) : text.AsSpan(start, newline - start);
            if (_start < 0 && (piece.Length > 0 || newline >= 0))
            {
                _start = offset;
            }

            _line.Append(piece);
            if (newline < 0)
            {
                return lines;
            }

            lines.Add(TakeLine());
            start = newline + 1;
        }
    }

    public IEnumerable<(long Offset, string Line)> Flush() => _start < 0 ? [] : [TakeLine()];

    private (long, string) TakeLine()
    {
        var line = (_start, TerminalText.StripControls(_line.ToString()));
        _line.Clear();
        _start = -1;
        return line;
    }
}
