using Recorder.Export;

namespace Recorder;

/// <summary>Converts a recording into formats other tools read.</summary>
public static class RecordingExporter
{
    /// <summary>
    /// Writes the recording's events in <paramref name="format"/> to <paramref name="output"/> (UTF-8).
    /// Terminal bytes that are not valid UTF-8 become U+FFFD in the export; the recording itself
    /// keeps the original bytes.
    /// </summary>
    public static Task ExportAsync(RecordingReader reader, ExportFormat format, Stream output, CancellationToken cancellationToken) =>
        ExportAsync(reader, format, output, passEscapes: false, cancellationToken);

    /// <summary>
    /// Writes the recording's events in <paramref name="format"/> to <paramref name="output"/> (UTF-8).
    /// Every text field is neutralized (<see cref="UntrustedText"/>). The asciicast output events pass
    /// through a <see cref="TerminalOutputFilter"/> (a player writes them to a terminal) unless
    /// <paramref name="passEscapes"/>; the text export never holds escape sequences.
    /// </summary>
    public static async Task ExportAsync(RecordingReader reader, ExportFormat format, Stream output, bool passEscapes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(output);
        IEventExporter exporter = format switch
        {
            ExportFormat.AsciicastV2 => new AsciicastExporter(output, version: 2, passEscapes),
            ExportFormat.AsciicastV3 => new AsciicastExporter(output, version: 3, passEscapes),
            ExportFormat.Text => new TextExporter(output),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown export format"),
        };
        exporter.WriteHeader(reader.Header);
        await foreach (var recorded in reader.ReadEventsAsync(cancellationToken).ConfigureAwait(false))
        {
            exporter.Write(recorded);
        }

        exporter.Complete();
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A one-line description of a command and its decision, as markers and text exports show it; every field is neutralized.</summary>
    public static string DescribeCommand(CommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var rule = string.IsNullOrEmpty(command.RuleId) ? "" : $", rule {UntrustedText.Neutralize(command.RuleId)}";
        var reason = string.IsNullOrEmpty(command.Reason) ? "" : $": {UntrustedText.Neutralize(command.Reason)}";
        return $"#{command.Number} $ {UntrustedText.Neutralize(command.Text)} [{UntrustedText.Neutralize(command.Decision)}{rule}{reason}]";
    }

    /// <summary>A one-line description of an approval step; every field is neutralized.</summary>
    public static string DescribeApproval(ApprovalRecord approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var id = UntrustedText.Neutralize(approval.ApprovalId);
        var text = approval.Kind switch
        {
            ApprovalEventKind.Requested => $"approval {id} requested for #{approval.CommandNumber}",
            ApprovalEventKind.Decided => $"approval {id} for #{approval.CommandNumber}: {UntrustedText.Neutralize(approval.Decision ?? "decided")} by {UntrustedText.Neutralize(approval.Approver ?? "unknown")}",
            ApprovalEventKind.Executed => $"approval {id}: #{approval.CommandNumber} executed",
            _ => $"approval {id} for #{approval.CommandNumber} closed",
        };
        return string.IsNullOrEmpty(approval.Reason) ? text : $"{text} ({UntrustedText.Neutralize(approval.Reason)})";
    }

    /// <summary>A one-line description of a notice; its fields are neutralized.</summary>
    public static string DescribeNotice(string kind, string message) =>
        $"notice {UntrustedText.Neutralize(kind)}: {UntrustedText.Neutralize(message)}";
}
