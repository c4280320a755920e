using System.Globalization;
using System.Text;

namespace Recorder.Export;

/// <summary>
/// A readable transcript: every line starts with the time offset; commands, decisions, approvals
/// and notices are written as they happened, output as plain lines (<see cref="TranscriptLines"/>:
/// no escape sequences or controls, invisible characters made visible). Every field is neutralized.
/// An output line longer than the line budget is written in pieces, each after the first marked
/// <c>+</c> instead of <c>|</c>, so memory stays bounded.
/// </summary>
internal sealed class TextExporter(Stream output) : IEventExporter
{
    private readonly StringBuilder _text = new();
    private readonly TranscriptLines _lines = new();
    private readonly List<TranscriptLine> _completed = [];
    private char[] _chars = new char[64 * 1024];
    private byte[] _bytes = new byte[64 * 1024];
    private long _last;

    public void WriteHeader(RecordingHeader header)
    {
        WriteLine($"# session {Field(header.SessionId)}");
        WriteLine($"# subject {Field(header.Subject)} (issuer {Field(header.Issuer)}), roles {string.Join(",", header.Roles.Select(Field))}");
        WriteLine($"# target {Field(header.Target)}, kind {Field(header.Kind)}, terminal {header.Columns}x{header.Rows} {Field(header.Term)}");
        WriteLine($"# started {header.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}, broker {Field(header.BrokerVersion)}");
    }

    public void Write(RecordedEvent recorded)
    {
        _last = recorded.OffsetNanoseconds;
        if (recorded is OutputEvent output)
        {
            _lines.Push(recorded.OffsetNanoseconds, output.Data.Span, _completed);
            WriteCompletedLines();
            return;
        }

        var text = recorded switch
        {
            CommandEvent command => RecordingExporter.DescribeCommand(command.Command),
            CommandExitEvent commandExit => $"#{commandExit.CommandNumber} exited with {commandExit.ExitCode}",
            ApprovalEvent approval => RecordingExporter.DescribeApproval(approval.Approval),
            NoticeEvent notice => RecordingExporter.DescribeNotice(notice.Kind, notice.Message),
            MarkerEvent marker => $"marker {Field(marker.Label)}",
            ResizeEvent resize => $"resize {resize.Columns}x{resize.Rows}",
            MaskingCountsEvent masking => $"masked {string.Join(", ", masking.Counts.Select(c => $"{Field(c.Key)}={c.Value}"))}",
            ExitEvent exit => $"exit {exit.Code}{(exit.Signal != 0 ? $" signal {exit.Signal}" : "")}: {Field(exit.Reason)}",
            _ => null,
        };
        if (text is not null)
        {
            Event(recorded, text);
        }
    }

    public void Complete()
    {
        _lines.Complete(_last, _completed);
        WriteCompletedLines();
        Drain();
    }

    private static string Field(string value) => UntrustedText.Neutralize(value);

    private void WriteLine(string line)
    {
        _text.Append(line).Append('\n');
        if (_text.Length >= 32 * 1024)
        {
            Drain();
        }
    }

    /// <summary>Writes the text held so far through buffers that are reused, so a long transcript makes no garbage in proportion to its size.</summary>
    private void Drain()
    {
        if (_chars.Length < _text.Length)
        {
            _chars = new char[Math.Max(_text.Length, _chars.Length * 2)];
        }

        _text.CopyTo(0, _chars, _text.Length);
        var chars = _chars.AsSpan(0, _text.Length);
        var needed = Encoding.UTF8.GetMaxByteCount(chars.Length);
        if (_bytes.Length < needed)
        {
            _bytes = new byte[Math.Max(needed, _bytes.Length * 2)];
        }

        output.Write(_bytes, 0, Encoding.UTF8.GetBytes(chars, _bytes));
        _text.Clear();
    }

    /// <summary>An event line; it ends the output line in progress, as the old transcript did.</summary>
    private void Event(RecordedEvent recorded, string text)
    {
        _lines.Break(_completed);
        WriteCompletedLines();
        _text.Append('[');
        _text.Append(TerminalText.FormatOffset(recorded.OffsetNanoseconds));
        _text.Append("] ");
        WriteLine(text);
    }

    private void WriteCompletedLines()
    {
        foreach (var line in _completed)
        {
            _text.Append('[');
            _text.Append(TerminalText.FormatOffset(line.OffsetNanoseconds));
            _text.Append(line.IsContinuation ? "] + " : "] | ");
            WriteLine(line.Text);
        }

        _completed.Clear();
    }
}
