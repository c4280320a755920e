using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Auth;
using Broker.Server.Composition;
using Broker.Server.Interactive;
using Grpc.Core;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

internal sealed partial class SessionGrpcService
{
    public override async Task Interact(IAsyncStreamReader<V1.InteractRequest> requestStream, IServerStreamWriter<V1.InteractResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        var first = await ReadFirstAsync(requestStream, context).ConfigureAwait(false);
        if (first.FrameCase != V1.InteractRequest.FrameOneofCase.Open)
        {
            throw Invalid($"the first frame must be 'open', not '{FrameName(first.FrameCase)}'");
        }

        var open = first.Open;
        var size = open.Size ?? throw Invalid("'open' must carry the terminal size");
        var term = string.IsNullOrEmpty(open.Term) ? "xterm-256color" : open.Term;
        if (term.Length > 64 || term.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '.' and not '+' and not '_'))
        {
            throw Invalid("'term' must be a short terminal name such as xterm-256color");
        }

        var outcome = await _composer.OpenAsync(caller, new SessionRequest.Shell(open.Target, size.Columns, size.Rows, term), context.CancellationToken).ConfigureAwait(false);
        var opened = outcome switch
        {
            SessionOutcome.Opened o => o.Session,
            SessionOutcome.Refused refused => throw refused.Refusal.ToRpcException(),
            SessionOutcome.StartFailed failed => throw new RpcException(new Status(StatusCode.FailedPrecondition, failed.Message)),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        var session = opened.Session;
        using var binding = new SessionCallBinding(session, context.CancellationToken);
        using var tokenWatch = _tokens.Start(context.AuthenticatedCaller(), session);
        using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        Task<bool>? input = null;
        bool inputEndedFirst;
        try
        {
            await responseStream.WriteAsync(new V1.InteractResponse { Opened = Opened(session) }).ConfigureAwait(false);
            input = PumpInteractiveInputAsync(requestStream, session, opened.Line, opened.Auditor, tokenWatch, stopInput.Token);
            var responses = EchoStages.Enabled ? new EchoStageWriter(responseStream, session) : responseStream;
            // One frame for every output of the call: a write serializes its message before it completes, so the next
            // output can go out in the same object instead of a new one per echoed key.
            var outputFrame = new V1.InteractResponse();
            await ForwardEventsAsync(session, responses, item => item switch
            {
                SessionEvent.Output output => WithOutput(outputFrame, output),
                SessionEvent.Notice notice => new V1.InteractResponse { Notice = notice.ToProto() },
                SessionEvent.Decision { Value: TypedCommandDecision typed } => new V1.InteractResponse { Decision = typed.Masked.ToProto() },
                SessionEvent.Ended ended => new V1.InteractResponse { Exit = ended.ToProto() },
                _ => throw new System.Diagnostics.UnreachableException(),
            }, context.CancellationToken).ConfigureAwait(false);
            inputEndedFirst = input.IsCompleted;
        }
        finally
        {
            if (input is not null)
            {
                await StopReadingAsync(input, stopInput, session).ConfigureAwait(false);
            }

            await opened.Interaction.ConfigureAwait(false);
        }

        if (inputEndedFirst && await input.ConfigureAwait(false))
        {
            throw Invalid("input arrived after the session had exited");
        }
    }

    /// <summary>Delivers client frames; returns true if input arrived after the session ended.</summary>
    private static async Task<bool> PumpInteractiveInputAsync(
        IAsyncStreamReader<V1.InteractRequest> requests, Session session, LineModeSession? line, RawCommandAuditor? auditor, SessionTokenWatch tokenWatch, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var frame = requests.Current;
                if (EchoStages.Enabled && frame.FrameCase == V1.InteractRequest.FrameOneofCase.Input && frame.Input.Length == 1)
                {
                    EchoStages.KeyReceived(session);
                }

                var result = frame.FrameCase switch
                {
                    V1.InteractRequest.FrameOneofCase.Input when line is not null => session.IsRunning ? await line.InputAsync(frame.Input.Memory, session.Limits, cancellationToken).ConfigureAwait(false) : InputResult.Ended,
                    V1.InteractRequest.FrameOneofCase.Input => await SendAuditedAsync(session, auditor, frame.Input.Memory, cancellationToken).ConfigureAwait(false),
                    V1.InteractRequest.FrameOneofCase.EndOfInput when line is not null => session.IsRunning ? line.EndOfInput() : InputResult.Ended,
                    V1.InteractRequest.FrameOneofCase.Resize => session.Resize(frame.Resize.Columns, frame.Resize.Rows),
                    V1.InteractRequest.FrameOneofCase.Signal => Signal(session, frame.Signal),
                    V1.InteractRequest.FrameOneofCase.EndOfInput => await session.EndInputAsync(cancellationToken).ConfigureAwait(false),
                    V1.InteractRequest.FrameOneofCase.RenewToken => await tokenWatch.RenewAsync(frame.RenewToken.BearerToken, cancellationToken).ConfigureAwait(false),
                    V1.InteractRequest.FrameOneofCase.Open => InputResult.Rejected("the session is already open"),
                    _ => InputResult.Rejected("the frame carries nothing"),
                };
                if (EchoStages.Enabled)
                {
                    EchoStages.Mark(session, EchoStages.Stage.KeyWritten);
                }

                if (result.Outcome == InputOutcome.Ended)
                {
                    return frame.FrameCase == V1.InteractRequest.FrameOneofCase.Input;
                }

                if (result.Outcome == InputOutcome.Rejected)
                {
                    session.PostNotice(NoticeKind.FrameRejected, $"INVALID_ARGUMENT: {result.Reason}");
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away; the session is abandoned through the call's cancellation.
        }

        return false;
    }

    private static V1.InteractResponse WithOutput(V1.InteractResponse frame, SessionEvent.Output output)
    {
        frame.Output = ProtocolMapping.Wrap(output.Data);
        return frame;
    }

    private static async ValueTask<InputResult> SendAuditedAsync(Session session, RawCommandAuditor? auditor, ReadOnlyMemory<byte> keys, CancellationToken cancellationToken)
    {
        // Seen before they are written: the shell may read them and report the command start at once.
        if (session.IsRunning && session.Limits.CheckInputFrame(keys.Length) is null)
        {
            auditor?.Keys(keys.Span);
        }

        return await session.SendInputAsync(keys, cancellationToken).ConfigureAwait(false);
    }

    private static string FrameName(V1.InteractRequest.FrameOneofCase frame) => frame switch
    {
        V1.InteractRequest.FrameOneofCase.Input => "input",
        V1.InteractRequest.FrameOneofCase.Resize => "resize",
        V1.InteractRequest.FrameOneofCase.Signal => "signal",
        V1.InteractRequest.FrameOneofCase.EndOfInput => "end_of_input",
        V1.InteractRequest.FrameOneofCase.Open => "open",
        V1.InteractRequest.FrameOneofCase.RenewToken => "renew_token",
        _ => "empty",
    };
}
