using Broker.Core.Sessions;
using Broker.Core.Targets;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Recorder;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

/// <summary>Maps between the session model and the wire protocol.</summary>
internal static class ProtocolMapping
{
    public static V1.NoticeKind ToProto(this NoticeKind kind) => kind switch
    {
        NoticeKind.Info => V1.NoticeKind.Info,
        NoticeKind.IdleTimeoutWarning => V1.NoticeKind.IdleTimeoutWarning,
        NoticeKind.MaxDurationWarning => V1.NoticeKind.MaxDurationWarning,
        NoticeKind.FrameRejected => V1.NoticeKind.FrameRejected,
        NoticeKind.SessionEnding => V1.NoticeKind.SessionEnding,
        NoticeKind.TokenExpiring => V1.NoticeKind.TokenExpiring,
        _ => V1.NoticeKind.Unspecified,
    };

    public static V1.ExitReason ToProto(this SessionEndReason reason) => reason switch
    {
        SessionEndReason.Exited => V1.ExitReason.Exited,
        SessionEndReason.ClientClosed => V1.ExitReason.ClientClosed,
        SessionEndReason.Terminated => V1.ExitReason.Terminated,
        SessionEndReason.IdleTimeout => V1.ExitReason.IdleTimeout,
        SessionEndReason.MaxDuration => V1.ExitReason.MaxDuration,
        SessionEndReason.BrokerShutdown => V1.ExitReason.BrokerShutdown,
        SessionEndReason.ControlFailed => V1.ExitReason.ControlFailed,
        SessionEndReason.PolicyDenied => V1.ExitReason.PolicyDenied,
        SessionEndReason.TokenExpired => V1.ExitReason.TokenExpired,
        SessionEndReason.RecordingLimit => V1.ExitReason.RecordingLimit,
        _ => V1.ExitReason.Unspecified,
    };

    public static V1.ExitStatus ToProto(this SessionEvent.Ended ended) =>
        new() { Code = ended.Code, SignalNumber = ended.Signal, Reason = ended.Reason.ToProto() };

    /// <summary>A notice as the client gets it: clients print notices to a terminal, so the message is visible text only.</summary>
    public static V1.Notice ToProto(this SessionEvent.Notice notice) =>
        new() { Kind = notice.Kind.ToProto(), Message = UntrustedText.Neutralize(notice.Message) };

    public static TargetSignal? FromProto(this V1.Signal signal) => signal switch
    {
        V1.Signal.Interrupt => TargetSignal.Interrupt,
        V1.Signal.Quit => TargetSignal.Quit,
        V1.Signal.Hangup => TargetSignal.Hangup,
        V1.Signal.Terminate => TargetSignal.Terminate,
        V1.Signal.Kill => TargetSignal.Kill,
        V1.Signal.Suspend => TargetSignal.Suspend,
        V1.Signal.Continue => TargetSignal.Continue,
        V1.Signal.User1 => TargetSignal.User1,
        V1.Signal.User2 => TargetSignal.User2,
        _ => null,
    };

    /// <summary>The decision frame: the command and what was found in it as masked for the session.</summary>
    public static V1.CommandDecision ToProto(this Masking.MaskedDecision masked)
    {
        var decision = masked.Decision;
        var proto = new V1.CommandDecision
        {
            Command = masked.Command,
            Verdict = decision.Verdict switch
            {
                Broker.Policy.Verdict.Allow => V1.Verdict.Allow,
                Broker.Policy.Verdict.Review => V1.Verdict.Review,
                _ => V1.Verdict.Deny,
            },
            Rule = decision.RuleId ?? string.Empty,
            Reason = masked.Reason,
            Role = decision.Role ?? string.Empty,
        };
        proto.Programs.AddRange(masked.Programs);
        proto.AwsActions.AddRange(decision.Facts.AwsActions);
        proto.Constructs.AddRange(masked.Constructs.Select(c => new V1.Construct { Name = c.Name, Detail = c.Detail ?? string.Empty }));
        return proto;
    }

    /// <summary>Event payloads are owned arrays that nothing mutates, so they can be wrapped without a copy.</summary>
    public static ByteString Wrap(ReadOnlyMemory<byte> data) => UnsafeByteOperations.UnsafeWrap(data);

    public static V1.SessionInfo ToInfo(this Session session)
    {
        var info = new V1.SessionInfo
        {
            SessionId = session.Id,
            Subject = session.Owner.Subject,
            Issuer = session.Owner.Issuer,
            Target = session.Target,
            Kind = session.Kind == SessionKind.Interactive ? V1.SessionKind.Interactive : V1.SessionKind.Exec,
            State = session.IsRunning ? V1.SessionState.Running : V1.SessionState.Ended,
            StartedAt = Timestamp.FromDateTimeOffset(session.StartedAt),
        };
        info.Roles.AddRange(session.Roles);
        if (session.Kind == SessionKind.Interactive)
        {
            var (columns, rows) = session.Size;
            info.Size = new V1.TerminalSize { Columns = (uint)columns, Rows = (uint)rows };
        }

        if (session.EndedAt is { } ended)
        {
            info.EndedAt = Timestamp.FromDateTimeOffset(ended);
        }

        if (session.ExitStatus is { } exit)
        {
            info.Exit = exit.ToProto();
        }

        return info;
    }
}
