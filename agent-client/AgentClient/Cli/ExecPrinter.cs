using System.Text;
using System.Text.Json;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Google.Protobuf;
using Recorder;

namespace AgentClient.Cli;

/// <summary>Writes frames as raw bytes, or as JSON lines for programs.</summary>
internal sealed class ExecPrinter(bool json)
{
    private readonly Stream _stdout = StandardStreams.Output;
    private readonly Stream _stderr = StandardStreams.Error;

    public void Print(ExecResponse frame)
    {
        if (json)
        {
            PrintJson(frame);
            return;
        }

        switch (frame.FrameCase)
        {
            case ExecResponse.FrameOneofCase.Stdout:
                _stdout.Write(frame.Stdout.Span);
                _stdout.Flush();
                break;
            case ExecResponse.FrameOneofCase.Stderr:
                _stderr.Write(frame.Stderr.Span);
                _stderr.Flush();
                break;
            case ExecResponse.FrameOneofCase.Notice:
                StandardStreams.Err.WriteLine($"agent-client: notice: {UntrustedText.Neutralize(frame.Notice.Message)}");
                break;
        }
    }

    private void PrintJson(ExecResponse frame)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            switch (frame.FrameCase)
            {
                case ExecResponse.FrameOneofCase.Opened:
                    writer.WriteString("type", "opened");
                    writer.WriteString("session_id", frame.Opened.SessionId);
                    writer.WriteString("target", frame.Opened.Target);
                    writer.WriteStartArray("roles");
                    foreach (var role in frame.Opened.Roles)
                    {
                        writer.WriteStringValue(role);
                    }

                    writer.WriteEndArray();
                    break;
                case ExecResponse.FrameOneofCase.Stdout:
                    WriteData(writer, "stdout", frame.Stdout);
                    break;
                case ExecResponse.FrameOneofCase.Stderr:
                    WriteData(writer, "stderr", frame.Stderr);
                    break;
                case ExecResponse.FrameOneofCase.Notice:
                    writer.WriteString("type", "notice");
                    writer.WriteString("kind", frame.Notice.Kind.ToString());
                    writer.WriteString("message", frame.Notice.Message);
                    break;
                case ExecResponse.FrameOneofCase.Decision:
                    writer.WriteString("type", "decision");
                    writer.WriteString("verdict", frame.Decision.Verdict switch
                    {
                        Verdict.Allow => "allow",
                        Verdict.Review => "review",
                        _ => "deny",
                    });
                    writer.WriteString("rule", frame.Decision.Rule);
                    writer.WriteString("reason", frame.Decision.Reason);
                    break;
                case ExecResponse.FrameOneofCase.Exit:
                    writer.WriteString("type", "exit");
                    writer.WriteNumber("code", frame.Exit.Code);
                    writer.WriteNumber("signal", frame.Exit.SignalNumber);
                    writer.WriteString("reason", frame.Exit.Reason.ToString());
                    break;
            }

            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        _stdout.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _stdout.Flush();
    }

    private static void WriteData(Utf8JsonWriter writer, string type, ByteString data)
    {
        writer.WriteString("type", type);
        // Output is not always UTF-8; bytes that are not are sent as base64 so nothing is lost.
        if (IsUtf8(data.Span))
        {
            writer.WriteString("data", Encoding.UTF8.GetString(data.Span));
        }
        else
        {
            writer.WriteBase64String("data_base64", data.Span);
        }
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}
