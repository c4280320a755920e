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
    public static async Task ExportAsync(RecordingReader reader, ExportFormat format, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(output);
        IEventExporter exporter = format switch
        {
            ExportFormat.AsciicastV2 => new AsciicastExporter(output, version: 2),
            ExportFormat.AsciicastV3 => new AsciicastExporter(output, version: 3),
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

    /// <summary>A one-line description of a command and its decision, as markers and text exports show it.</summary>
    public static string DescribeCommand(CommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var rule = command.RuleId is null ? "" : $", rule {command.RuleId}";
        var reason = string.IsNullOrEmpty(command.Reason) ? "" : $": {command.Reason}";
        return $"#{command.Number} $ {command.Text} [{command.Decision}{rule}{reason}]";
    }

    /// <summary>A one-line description of an approval step.</summary>
    public static string DescribeApproval(ApprovalRecord approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var text = approval.Kind switch
        {
            ApprovalEventKind.Requested => $"approval {approval.ApprovalId} requested for #{approval.CommandNumber}",
            ApprovalEventKind.Decided => $"approval {approval.ApprovalId} for #{approval.CommandNumber}: {approval.Decision ?? "decided"} by {approval.Approver ?? "unknown"}",
            ApprovalEventKind.Executed => $"approval {approval.ApprovalId}: #{approval.CommandNumber} executed",
            _ => $"approval {approval.ApprovalId} for #{approval.CommandNumber} closed",
        };
        return string.IsNullOrEmpty(approval.Reason) ? text : $"{text} ({approval.Reason})";
    }
}
