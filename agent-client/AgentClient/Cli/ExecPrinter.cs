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
            case ExecResponse.FrameOneofCase.Held:
                StandardStreams.Err.WriteLine(HeldLine(frame.Held));
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
                case ExecResponse.FrameOneofCase.Held:
                    writer.WriteString("type", "held");
                    writer.WriteString("approval_id", frame.Held.ApprovalId);
                    writer.WriteString("expires_at", frame.Held.ExpiresAt?.ToDateTimeOffset().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                    writer.WriteStartArray("approver_groups");
                    foreach (var group in frame.Held.Approvers?.Groups ?? [])
                    {
                        writer.WriteStringValue(group);
                    }

                    writer.WriteEndArray();
                    writer.WriteNumber("approvals_needed", NeededApprovals(frame.Held.Approvers));
                    writer.WriteNumber("approvals", frame.Held.Approvals);
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

    /// <summary>The one line a person reads when the command waits for approval.</summary>
    private static string HeldLine(CommandHeld held)
    {
        var groups = string.Join(", ", (held.Approvers?.Groups ?? []).Select(g => UntrustedText.Neutralize(g)));
        var expires = held.ExpiresAt?.ToDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) ?? "?";
        return $"agent-client: held for approval {UntrustedText.Neutralize(held.ApprovalId)} (needs {NeededApprovals(held.Approvers)} of {groups}; {held.Approvals} so far; expires {expires}); "
            + $"approve with: agent-client approvals approve {UntrustedText.Neutralize(held.ApprovalId)}";
    }

    private static long NeededApprovals(ApproverRequirements? approvers) =>
        approvers is null ? 0 : approvers.OneFromEachGroup ? approvers.Groups.Count : approvers.Quorum;

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
