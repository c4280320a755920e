using Broker.Server.Recording;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Recorder;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

/// <summary>Maps recordings, their index rows and their events to the wire protocol.</summary>
internal static class RecordingMapping
{
    public static V1.RecordingSummary ToProto(this RecordingIndexEntry entry, bool running)
    {
        var summary = new V1.RecordingSummary
        {
            SessionId = entry.SessionId,
            Issuer = entry.Issuer,
            Subject = entry.Subject,
            Target = entry.Target,
            Kind = entry.Kind,
            StartedAt = Timestamp.FromDateTimeOffset(entry.StartedAt),
            State = running ? V1.RecordingState.Running
                : entry.MissingSince is not null ? V1.RecordingState.Missing
                : entry.EndReason == RecordingIndexEntry.CrashedReason ? V1.RecordingState.Crashed
                : entry.EndedAt is null ? V1.RecordingState.Running
                : V1.RecordingState.Ended,
            SizeBytes = entry.SizeBytes,
            EndReason = entry.EndReason ?? string.Empty,
            CommandCount = (uint)entry.Counts.Commands,
            AllowedCount = (uint)entry.Counts.Allowed,
            DeniedCount = (uint)entry.Counts.Denied,
            ReviewCount = (uint)entry.Counts.Review,
            ApprovalCount = (uint)entry.Counts.Approvals,
        };
        if (entry.EndedAt is { } ended && !running)
        {
            summary.EndedAt = Timestamp.FromDateTimeOffset(ended);
        }

        if (entry.ExitCode is { } code)
        {
            summary.ExitCode = code;
        }

        if (entry.Seal is { } seal)
        {
            summary.Seal = new V1.RecordingSeal { RecordCount = seal.RecordCount, ChainHash = ByteString.CopyFrom(Convert.FromHexString(seal.ChainHash)), SizeBytes = seal.SizeBytes };
        }

        return summary;
    }

    public static V1.Verification ToProto(this VerificationResult result)
    {
        var verification = new V1.Verification
        {
            Status = result.Status switch
            {
                VerificationStatus.IntactAndSealed => V1.VerificationStatus.IntactAndSealed,
                VerificationStatus.TruncatedAfterCheckpoint => V1.VerificationStatus.TruncatedAfterCheckpoint,
                _ => V1.VerificationStatus.Tampered,
            },
            Detail = result.Detail,
            VerifiedRecords = result.VerifiedRecords,
        };
        if (result.TamperedAtRecord is { } record)
        {
            verification.TamperedAtRecord = record;
        }

        return verification;
    }

    public static V1.AttachStarted ToProto(this RecordingHeader header, bool live) => new()
    {
        SessionId = header.SessionId,
        Subject = header.Subject,
        Target = header.Target,
        Kind = header.Kind,
        Size = new V1.TerminalSize { Columns = (uint)Math.Max(0, header.Columns), Rows = (uint)Math.Max(0, header.Rows) },
        StartedAt = Timestamp.FromDateTimeOffset(header.StartedAt),
        Live = live,
    };

    public static V1.RecordingEvent ToProto(this RecordedEvent recorded)
    {
        var proto = new V1.RecordingEvent { Index = recorded.Index, OffsetNanoseconds = recorded.OffsetNanoseconds };
        switch (recorded)
        {
            case InputEvent input:
                proto.Input = ByteString.CopyFrom(input.Data.Span);
                break;
            case OutputEvent output:
                proto.Output = new V1.RecordedOutput
                {
                    Stream = output.Stream switch
                    {
                        OutputStream.Stdout => V1.OutputStream.Stdout,
                        OutputStream.Stderr => V1.OutputStream.Stderr,
                        _ => V1.OutputStream.Terminal,
                    },
                    Data = ByteString.CopyFrom(output.Data.Span),
                };
                break;
            case ResizeEvent resize:
                proto.Resize = new V1.TerminalSize { Columns = (uint)resize.Columns, Rows = (uint)resize.Rows };
                break;
            case CommandEvent command:
                proto.Command = new V1.RecordedCommand
                {
                    Number = command.Command.Number,
                    Text = command.Command.Text,
                    Decision = command.Command.Decision,
                    RuleId = command.Command.RuleId ?? string.Empty,
                    Reason = command.Command.Reason ?? string.Empty,
                    FactsJson = command.Command.FactsJson ?? string.Empty,
                };
                break;
            case CommandExitEvent exit:
                proto.CommandExit = new V1.RecordedCommandExit { CommandNumber = exit.CommandNumber, ExitCode = exit.ExitCode };
                break;
            case ApprovalEvent approval:
                proto.Approval = new V1.RecordedApproval
                {
                    ApprovalId = approval.Approval.ApprovalId,
                    CommandNumber = approval.Approval.CommandNumber,
                    Kind = approval.Approval.Kind.ToString().ToLowerInvariant(),
                    Approver = approval.Approval.Approver ?? string.Empty,
                    Decision = approval.Approval.Decision ?? string.Empty,
                    Reason = approval.Approval.Reason ?? string.Empty,
                };
                break;
            case MaskingCountsEvent counts:
                proto.MaskingCounts = new V1.RecordedMaskingCounts();
                foreach (var (name, count) in counts.Counts)
                {
                    proto.MaskingCounts.Counts[name] = count;
                }

                break;
            case NoticeEvent notice:
                proto.Notice = new V1.RecordedNotice { Kind = notice.Kind, Message = notice.Message };
                break;
            case ExitEvent exit:
                proto.Exit = new V1.RecordedExit { Code = exit.Code, Signal = exit.Signal, Reason = exit.Reason };
                break;
            case MarkerEvent marker:
                proto.Marker = marker.Label;
                break;
        }

        return proto;
    }
}
