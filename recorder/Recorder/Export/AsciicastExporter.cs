using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Recorder.Format;

namespace Recorder.Export;

/// <summary>
/// asciicast v2 (absolute event times) or v3 (time since the previous event, plus <c>x</c> for the
/// exit status). Times are whole microseconds so v3 intervals add up exactly. A player writes the
/// output events to a terminal, so they pass through a <see cref="TerminalOutputFilter"/> unless told
/// to pass everything; markers and the title are neutralized text.
/// </summary>
internal sealed class AsciicastExporter(Stream output, int version, bool passEscapes) : IEventExporter
{
    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private readonly ArrayBufferWriter<byte> _filtered = new(4096);
    private readonly Dictionary<OutputStream, (TerminalOutputFilter Filter, StreamTextDecoder Decoder)> _outputs = [];
    private readonly StreamTextDecoder _inputDecoder = new();
    private long _previousMicroseconds;
    private long _lastMicroseconds;

    /// <summary>The size an exec session (no terminal, recorded as 0×0) plays at: players need one, and 80×24 is a terminal's default.</summary>
    private static readonly (int Columns, int Rows) NoTerminalSize = (80, 24);

    public void WriteHeader(RecordingHeader header)
    {
        var (columns, rows) = header.Columns > 0 && header.Rows > 0 ? (header.Columns, header.Rows) : NoTerminalSize;
        WriteLine(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("version", version);
            if (version == 2)
            {
                json.WriteNumber("width", columns);
                json.WriteNumber("height", rows);
            }
            else
            {
                json.WriteStartObject("term");
                json.WriteNumber("cols", columns);
                json.WriteNumber("rows", rows);
                json.WriteString("type", UntrustedText.Neutralize(header.Term));
                json.WriteEndObject();
            }

            json.WriteNumber("timestamp", header.StartedAt.ToUnixTimeSeconds());
            json.WriteString("title", UntrustedText.Neutralize($"{header.Subject} on {header.Target} (session {header.SessionId})"));
            if (version == 2)
            {
                json.WriteStartObject("env");
                json.WriteString("TERM", UntrustedText.Neutralize(header.Term));
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });
    }

    public void Write(RecordedEvent recorded)
    {
        var micros = recorded.OffsetNanoseconds / 1000;
        switch (recorded)
        {
            case OutputEvent output:
                {
                    if (!_outputs.TryGetValue(output.Stream, out var stream))
                    {
                        stream = (new TerminalOutputFilter(passEscapes), new StreamTextDecoder());
                        _outputs[output.Stream] = stream;
                    }

                    _filtered.ResetWrittenCount();
                    stream.Filter.Write(output.Data.Span, _filtered);
                    WriteEvent(micros, "o", stream.Decoder.DecodeToSpan(_filtered.WrittenSpan));
                    break;
                }

            case InputEvent input:
                WriteEvent(micros, "i", _inputDecoder.DecodeToSpan(input.Data.Span));
                break;
            case ResizeEvent resize:
                WriteEvent(micros, "r", string.Create(CultureInfo.InvariantCulture, $"{resize.Columns}x{resize.Rows}"));
                break;
            case CommandEvent command:
                WriteEvent(micros, "m", RecordingExporter.DescribeCommand(command.Command));
                break;
            case CommandExitEvent commandExit:
                WriteEvent(micros, "m", $"#{commandExit.CommandNumber} exited with {commandExit.ExitCode}");
                break;
            case ApprovalEvent approval:
                WriteEvent(micros, "m", RecordingExporter.DescribeApproval(approval.Approval));
                break;
            case NoticeEvent notice:
                WriteEvent(micros, "m", RecordingExporter.DescribeNotice(notice.Kind, notice.Message));
                break;
            case MarkerEvent marker:
                WriteEvent(micros, "m", UntrustedText.Neutralize(marker.Label));
                break;
            case ExitEvent exit when version == 3:
                WriteEvent(micros, "x", exit.Code.ToString(CultureInfo.InvariantCulture));
                break;
            case ExitEvent exit:
                WriteEvent(micros, "m", string.Create(CultureInfo.InvariantCulture, $"exit {exit.Code}{(exit.Signal != 0 ? $" (signal {exit.Signal})" : "")}: {UntrustedText.Neutralize(exit.Reason)}"));
                break;
        }

        _lastMicroseconds = Math.Max(_lastMicroseconds, micros);
    }

    public void Complete()
    {
        foreach (var (filter, decoder) in _outputs.Values)
        {
            _filtered.ResetWrittenCount();
            filter.Complete(_filtered);
            WriteEvent(_lastMicroseconds, "o", decoder.DecodeToSpan(_filtered.WrittenSpan, final: true));
        }

        output.Flush();
    }

    private void WriteEvent(long micros, string code, ReadOnlySpan<char> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var time = version == 2 ? micros : micros - _previousMicroseconds;
        _previousMicroseconds = micros;
        _line.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_line, JsonText.WriterOptions))
        {
            json.WriteStartArray();
            json.WriteNumberValue(time / 1_000_000m);
            json.WriteStringValue(code);
            json.WriteStringValue(data);
            json.WriteEndArray();
        }

        _line.Write("\n"u8);
        output.Write(_line.WrittenSpan);
    }

    private void WriteLine(Action<Utf8JsonWriter> write)
    {
        _line.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_line, JsonText.WriterOptions))
        {
            write(json);
        }

        _line.Write("\n"u8);
        output.Write(_line.WrittenSpan);
    }
}
