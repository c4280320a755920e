using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Recorder.Export;

/// <summary>
/// A readable transcript: every line starts with the time offset; commands, decisions, approvals
/// and notices are written as they happened, output as plain lines with terminal escape sequences removed.
/// </summary>
internal sealed partial class TextExporter(Stream output) : IEventExporter
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

    /// <summary>Formats an offset the way every replay tool shows it: +HH:MM:SS.mmm.</summary>
    public static string FormatOffset(long nanoseconds)
    {
        var time = TimeSpan.FromTicks(nanoseconds / 100);
        return string.Create(CultureInfo.InvariantCulture, $"+{(int)time.TotalHours:00}:{time.Minutes:00}:{time.Seconds:00}.{time.Milliseconds:000}");
    }

    /// <summary>Removes CSI, OSC and two-byte escape sequences and control characters other than tab and newline.</summary>
    public static string StripTerminalControls(string text) => Controls().Replace(text, "");

    [GeneratedRegex(@"\x1B\[[0-?]*[ -/]*[@-~]|\x1B\][^\x07\x1B]*(?:\x07|\x1B\\)?|\x1B[P^_][^\x1B]*(?:\x1B\\)?|\x1B[ -/]*[0-~]|[\x00-\x08\x0B-\x1F\x7F]")]
    private static partial Regex Controls();

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
        _text.Append(FormatOffset(recorded.OffsetNanoseconds));
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

        var line = StripTerminalControls(_line.ToString());
        _text.Append('[');
        _text.Append(FormatOffset(Math.Max(_lineStart, 0)));
        _text.Append("] | ");
        WriteLine(line);
        _line.Clear();
        _lineStart = -1;
    }
}
