using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.Server.Approvals;
using Broker.Server.Auth;
using Broker.Server.Composition;
using Grpc.Core;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

internal sealed partial class SessionGrpcService
{
    public override async Task Exec(IAsyncStreamReader<V1.ExecRequest> requestStream, IServerStreamWriter<V1.ExecResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        var first = await ReadFirstAsync(requestStream, context).ConfigureAwait(false);
        if (first.FrameCase != V1.ExecRequest.FrameOneofCase.Start)
        {
            throw Invalid($"the first frame must be 'start', not '{first.FrameCase}'");
        }

        var start = first.Start;
        TargetCommand command = start.CommandCase switch
        {
            V1.ExecStart.CommandOneofCase.Argv when start.Argv.Args.Count > 0 && start.Argv.Args[0].Length > 0 => new TargetCommand.Argv([.. start.Argv.Args]),
            V1.ExecStart.CommandOneofCase.Script when start.Script.Length > 0 => new TargetCommand.Script(start.Script),
            _ => throw Invalid("'start' must carry a non-empty argv or script"),
        };
        if (CommandHasNul(command))
        {
            throw Invalid("the command contains a NUL character");
        }

        var request = new SessionRequest.Exec(start.Target, command)
        {
            NoWait = start.NoWait,
            CallerExpiresAt = context.AuthenticatedCaller().ExpiresAt,
            // Held: the review decision, then the request, both at once; the outcome's decision follows.
            OnHeld = async (review, held, ct) =>
            {
                responseStream.WriteOptions = BufferedWrite;
                await responseStream.WriteAsync(new V1.ExecResponse { Decision = review.ToProto() }, ct).ConfigureAwait(false);
                responseStream.WriteOptions = null;
                await responseStream.WriteAsync(new V1.ExecResponse { Held = held.ToProto() }, ct).ConfigureAwait(false);
            },
        };
        var outcome = await _composer.OpenAsync(caller, request, context.CancellationToken).ConfigureAwait(false);
        if (outcome is not SessionOutcome.Opened { Session.Session: var session })
        {
            await RefuseExecAsync(outcome, responseStream).ConfigureAwait(false);
            return;
        }

        using var binding = new SessionCallBinding(session, context.CancellationToken);
        // An allowed command's decision travels with the 'opened' frame that follows it: one flush, not two.
        responseStream.WriteOptions = BufferedWrite;
        await responseStream.WriteAsync(new V1.ExecResponse { Decision = outcome.Decision!.ToProto() }).ConfigureAwait(false);
        responseStream.WriteOptions = null;
        using var tokenWatch = _tokens.Start(context.AuthenticatedCaller(), session);
        await responseStream.WriteAsync(new V1.ExecResponse { Opened = Opened(session) }).ConfigureAwait(false);

        using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var stdin = PumpExecInputAsync(requestStream, session, tokenWatch, stopInput.Token);
        try
        {
            // One frame for every output of the call, as in Interact: a write serializes its message before it completes.
            var outputFrame = new V1.ExecResponse();
            await ForwardEventsAsync(session, responseStream, item => item switch
            {
                SessionEvent.Output output => WithOutput(outputFrame, output),
                SessionEvent.Notice notice => new V1.ExecResponse { Notice = notice.ToProto() },
                SessionEvent.Ended ended => new V1.ExecResponse { Exit = ended.ToProto() },
                _ => throw new System.Diagnostics.UnreachableException(),
            }, context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await StopReadingAsync(stdin, stopInput, session).ConfigureAwait(false);
        }
    }

    private static V1.ExecResponse WithOutput(V1.ExecResponse frame, SessionEvent.Output output)
    {
        if (output.Stream == OutputChannel.Stderr)
        {
            frame.Stderr = ProtocolMapping.Wrap(output.Data);
        }
        else
        {
            frame.Stdout = ProtocolMapping.Wrap(output.Data);
        }

        return frame;
    }

    /// <summary>An exec that did not open: its decision (if it was decided), then the refusal as a status, or as stderr and an exit code.</summary>
    private static async Task RefuseExecAsync(SessionOutcome outcome, IServerStreamWriter<V1.ExecResponse> responseStream)
    {
        if (outcome.Decision is { } decision)
        {
            await responseStream.WriteAsync(new V1.ExecResponse { Decision = decision.ToProto() }).ConfigureAwait(false);
        }

        var (message, exit) = outcome switch
        {
            SessionOutcome.CommandRefused denied => (denied.Message, new V1.ExitStatus { Code = 126, Reason = V1.ExitReason.PolicyDenied }),
            SessionOutcome.Held held => (
                HeldMessage(held),
                new V1.ExitStatus { Code = SessionComposer.ReturnModeExitCode, Reason = V1.ExitReason.ApprovalPending }),
            // A command that cannot start fails like it would in a shell: a message and 126/127.
            SessionOutcome.StartFailed failed => (failed.Message, new V1.ExitStatus { Code = failed.ExitCode, Reason = V1.ExitReason.Exited }),
            SessionOutcome.Refused refused => throw refused.Refusal.ToRpcException(),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        await responseStream.WriteAsync(new V1.ExecResponse { Stderr = Google.Protobuf.ByteString.CopyFromUtf8(message + "\n") }).ConfigureAwait(false);
        await responseStream.WriteAsync(new V1.ExecResponse { Exit = exit }).ConfigureAwait(false);
    }

    /// <summary>What a held exec that ends without running says on stderr: why it ended, and how to run it once approved.</summary>
    private static string HeldMessage(SessionOutcome.Held held)
    {
        var id = held.Command.ApprovalId;
        return held.CallerTokenExpired
            ? $"broker: your token expired while the command was held for approval {id}; it did not run. once it is approved, run the identical command again with a fresh token (agent-client approvals wait {id})"
            : $"broker: held for approval {id}; once it is approved, run the identical command again (agent-client approvals wait {id})";
    }

    private static async Task PumpExecInputAsync(IAsyncStreamReader<V1.ExecRequest> requests, Session session, SessionTokenWatch tokenWatch, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var frame = requests.Current;
                var result = frame.FrameCase switch
                {
                    V1.ExecRequest.FrameOneofCase.Stdin => await session.SendInputAsync(frame.Stdin.Memory, cancellationToken).ConfigureAwait(false),
                    V1.ExecRequest.FrameOneofCase.EndOfInput => await session.EndInputAsync(cancellationToken).ConfigureAwait(false),
                    V1.ExecRequest.FrameOneofCase.Signal => Signal(session, frame.Signal),
                    V1.ExecRequest.FrameOneofCase.RenewToken => await tokenWatch.RenewAsync(frame.RenewToken.BearerToken, cancellationToken).ConfigureAwait(false),
                    V1.ExecRequest.FrameOneofCase.Start => InputResult.Rejected("the command has already started"),
                    _ => InputResult.Rejected("the frame carries nothing"),
                };
                if (result.Outcome == InputOutcome.Rejected)
                {
                    session.PostNotice(NoticeKind.FrameRejected, $"INVALID_ARGUMENT: {result.Reason}");
                }
            }

            // A client that stops sending without saying so still means end of input.
            await session.EndInputAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away; the session is abandoned through the call's cancellation.
        }
    }

    private static bool CommandHasNul(TargetCommand command) => command switch
    {
        TargetCommand.Argv argv => argv.Arguments.Any(a => a.Contains('\0', StringComparison.Ordinal)),
        TargetCommand.Script script => script.Text.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };
}
