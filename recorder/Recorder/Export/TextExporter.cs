using System.Globalization;
using System.Text;

namespace Recorder.Export;

/// <summary>
/// A readable transcript: every line starts with the time offset; commands, decisions, approvals
/// and notices are written as they happened, output as plain lines with terminal escape sequences removed.
/// </summary>
internal sealed class TextExporter(Stream output) : IEventExporter
{
    private readonly StringBuilder _text = new();
    private readonly StreamTextDecoder _decoder = new();
    private readonly StringBuilder _line = new();
    private long _lineStart = -1;
    private long _last;

    public void WriteHeader(RecordingHeader header)
    {
        WriteLine($"# session {header.SessionId}");
        WriteLine($"# subject {header.Subject} (issuer {header.Issuer}), roles {string.Join(",", header.Roles)}");
        WriteLine($"# target {header.Target}, kind {header.Kind}, terminal {header.Columns}x{header.Rows} {header.Term}");
        WriteLine($"# started {header.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}, broker {header.BrokerVersion}");
    }

    public void Write(RecordedEvent recorded)
    {
        _last = recorded.OffsetNanoseconds;
        switch (recorded)
        {
            case OutputEvent output:
                AppendOutput(recorded.OffsetNanoseconds, _decoder.Decode(output.Data.Span));
                break;
            case CommandEvent command:
                Event(recorded, RecordingExporter.DescribeCommand(command.Command));
                break;
            case CommandExitEvent commandExit:
                Event(recorded, $"#{commandExit.CommandNumber} exited with {commandExit.ExitCode}");
                break;
            case ApprovalEvent approval:
                Event(recorded, RecordingExporter.DescribeApproval(approval.Approval));
                break;
            case NoticeEvent notice:
                Event(recorded, $"notice {notice.Kind}: {notice.Message}");
                break;
            case MarkerEvent marker:
                Event(recorded, $"marker {marker.Label}");
                break;
            case ResizeEvent resize:
                Event(recorded, $"resize {resize.Columns}x{resize.Rows}");
                break;
            case MaskingCountsEvent masking:
                Event(recorded, $"masked {string.Join(", ", masking.Counts.Select(c => $"{c.Key}={c.Value}"))}");
                break;
            case ExitEvent exit:
                Event(recorded, $"exit {exit.Code}{(exit.Signal != 0 ? $" signal {exit.Signal}" : "")}: {exit.Reason}");
                break;
        }
    }

    public void Complete()
    {
        AppendOutput(_last, _decoder.Decode([], final: true));
        EndLine();
        Drain();
    }

    private void WriteLine(string line)
    {
        _text.Append(line).Append('\n');
        if (_text.Length >= 32 * 1024)
        {
            Drain();
        }
    }

    private void Drain()
    {
        output.Write(Encoding.UTF8.GetBytes(_text.ToString()));
        _text.Clear();
    }

    private void Event(RecordedEvent recorded, string text)
    {
        EndLine();
        _text.Append('[');
        _text.Append(TerminalText.FormatOffset(recorded.OffsetNanoseconds));
        _text.Append("] ");
        WriteLine(text);
    }

    private void AppendOutput(long offset, string text)
    {
        var start = 0;
        while (true)
        {
            var newline = text.IndexOf('\n', start);
            var piece = newline < 0 ? text.AsSpan(start) : text.AsSpan(start, newline - start);
            if ((piece.Length > 0 || newline >= 0) && _lineStart < 0)
            {
                _lineStart = offset;
            }

            _line.Append(piece);
            if (newline < 0)
            {
                return;
            }

            EndLine();
            start = newline + 1;
        }
    }

    private void EndLine()
    {
        if (_line.Length == 0 && _lineStart < 0)
        {
            return;
        }

        var line = TerminalText.StripControls(_line.ToString());
        _text.Append('[');
        _text.Append(TerminalText.FormatOffset(Math.Max(_lineStart, 0)));
        _text.Append("] | ");
        WriteLine(line);
        _line.Clear();
        _lineStart = -1;
    }
}
