using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Recorder.Format;

/// <summary>Payload encodings of the structured record types, and decoding of any record into an event.</summary>
internal static class RecordCodec
{
    public static byte[] EncodeCommand(CommandRecord command, long number) => Json(json =>
    {
        json.WriteNumber("number", number);
        json.WriteString("text", command.Text);
        json.WritePropertyName("facts");
        if (string.IsNullOrWhiteSpace(command.FactsJson))
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(command.FactsJson);
        }

        json.WriteString("decision", command.Decision);
        WriteOptional(json, "ruleId", command.RuleId);
        WriteOptional(json, "reason", command.Reason);
    });

    public static byte[] EncodeApproval(ApprovalRecord approval) => Json(json =>
    {
        json.WriteString("kind", approval.Kind switch
        {
            ApprovalEventKind.Requested => "requested",
            ApprovalEventKind.Decided => "decided",
            ApprovalEventKind.Executed => "executed",
            ApprovalEventKind.Closed => "closed",
            _ => throw new ArgumentOutOfRangeException(nameof(approval), approval.Kind, "unknown approval event kind"),
        });
        json.WriteNumber("commandNumber", approval.CommandNumber);
        json.WriteString("approvalId", approval.ApprovalId);
        WriteOptional(json, "approver", approval.Approver);
        WriteOptional(json, "decision", approval.Decision);
        WriteOptional(json, "reason", approval.Reason);
    });

    public static byte[] EncodeMaskingCounts(IReadOnlyDictionary<string, long> counts) => Json(json =>
    {
        json.WriteStartObject("counts");
        foreach (var (detector, count) in counts)
        {
            json.WriteNumber(detector, count);
        }

        json.WriteEndObject();
    });

    public static byte[] EncodeNotice(string kind, string message) => Json(json =>
    {
        json.WriteString("kind", kind);
        json.WriteString("message", message);
    });

    public static byte[] EncodeExit(int code, int signal, string reason) => Json(json =>
    {
        json.WriteNumber("code", code);
        json.WriteNumber("signal", signal);
        json.WriteString("reason", reason);
    });

    public static byte[] EncodeCommandExit(long commandNumber, int exitCode) => Json(json =>
    {
        json.WriteNumber("commandNumber", commandNumber);
        json.WriteNumber("exitCode", exitCode);
    });

    /// <summary>
    /// Decodes one record's payload into an event; null (with an error) when the payload is malformed.
    /// Input, output and unknown records' data is <paramref name="payloadMemory"/> itself unless
    /// <paramref name="copyData"/>: no copy when the caller lets go of the event before the buffer is reused.
    /// </summary>
    public static RecordedEvent? TryDecode(long index, byte type, long offset, ReadOnlyMemory<byte> payloadMemory, bool copyData, out string? error)
    {
        error = null;
        var payload = payloadMemory.Span;
        if (type is >= (byte)RecordType.Command and <= (byte)RecordType.CommandExit && payload.Length > RecordingWriter.MaxStructuredPayloadBytes)
        {
            error = $"a {(RecordType)type} record of {payload.Length} bytes is longer than the {RecordingWriter.MaxStructuredPayloadBytes} the writer allows";
            return null;
        }

        try
        {
            switch ((RecordType)type)
            {
                case RecordType.Input:
                    return new InputEvent(index, offset, copyData ? payload.ToArray() : payloadMemory);
                case RecordType.Output:
                    if (payload.Length < 1 || payload[0] > (byte)OutputStream.Stderr)
                    {
                        error = "output record without a valid stream byte";
                        return null;
                    }

                    return new OutputEvent(index, offset, (OutputStream)payload[0], copyData ? payload[1..].ToArray() : payloadMemory[1..]);
                case RecordType.Resize:
                    if (payload.Length != 8)
                    {
                        error = "resize record is not 8 bytes";
                        return null;
                    }

                    return new ResizeEvent(index, offset, (int)BinaryPrimitives.ReadUInt32LittleEndian(payload), (int)BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]));
                case RecordType.Command:
                    return DecodeCommand(index, offset, payloadMemory);
                case RecordType.Approval:
                    return DecodeApproval(index, offset, payloadMemory);
                case RecordType.MaskingCounts:
                    return DecodeMaskingCounts(index, offset, payloadMemory);
                case RecordType.Notice:
                    {
                        using var document = JsonDocument.Parse(payloadMemory);
                        var root = document.RootElement;
                        return new NoticeEvent(index, offset, root.GetProperty("kind").GetString() ?? "", root.GetProperty("message").GetString() ?? "");
                    }

                case RecordType.Exit:
                    {
                        using var document = JsonDocument.Parse(payloadMemory);
                        var root = document.RootElement;
                        return new ExitEvent(index, offset, root.GetProperty("code").GetInt32(), root.GetProperty("signal").GetInt32(), root.GetProperty("reason").GetString() ?? "");
                    }

                case RecordType.CommandExit:
                    {
                        using var document = JsonDocument.Parse(payloadMemory);
                        var root = document.RootElement;
                        return new CommandExitEvent(index, offset, root.GetProperty("commandNumber").GetInt64(), root.GetProperty("exitCode").GetInt32());
                    }

                case RecordType.Marker:
                    return new MarkerEvent(index, offset, Encoding.UTF8.GetString(payload));
                default:
                    return new UnknownEvent(index, offset, type, copyData ? payload.ToArray() : payloadMemory);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            error = $"record payload is not valid: {e.Message}";
            return null;
        }
    }

    private static CommandEvent DecodeCommand(long index, long offset, ReadOnlyMemory<byte> payloadMemory)
    {
        using var document = JsonDocument.Parse(payloadMemory);
        var root = document.RootElement;
        var facts = root.GetProperty("facts");
        return new CommandEvent(index, offset, new CommandRecord
        {
            Number = root.GetProperty("number").GetInt64(),
            Text = root.GetProperty("text").GetString() ?? "",
            FactsJson = facts.ValueKind == JsonValueKind.Null ? null : facts.GetRawText(),
            Decision = root.GetProperty("decision").GetString() ?? "",
            RuleId = Optional(root, "ruleId"),
            Reason = Optional(root, "reason"),
        });
    }

    private static ApprovalEvent DecodeApproval(long index, long offset, ReadOnlyMemory<byte> payloadMemory)
    {
        using var document = JsonDocument.Parse(payloadMemory);
        var root = document.RootElement;
        var kind = root.GetProperty("kind").GetString() switch
        {
            "requested" => ApprovalEventKind.Requested,
            "decided" => ApprovalEventKind.Decided,
            "executed" => ApprovalEventKind.Executed,
            "closed" => ApprovalEventKind.Closed,
            var other => throw new FormatException($"unknown approval kind '{UntrustedText.Neutralize(other, 64)}'"),
        };
        return new ApprovalEvent(index, offset, new ApprovalRecord
        {
            Kind = kind,
            CommandNumber = root.GetProperty("commandNumber").GetInt64(),
            ApprovalId = root.GetProperty("approvalId").GetString() ?? "",
            Approver = Optional(root, "approver"),
            Decision = Optional(root, "decision"),
            Reason = Optional(root, "reason"),
        });
    }

    private static MaskingCountsEvent DecodeMaskingCounts(long index, long offset, ReadOnlyMemory<byte> payloadMemory)
    {
        using var document = JsonDocument.Parse(payloadMemory);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.GetProperty("counts").EnumerateObject())
        {
            counts[property.Name] = property.Value.GetInt64();
        }

        return new MaskingCountsEvent(index, offset, counts);
    }

    private static string? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
