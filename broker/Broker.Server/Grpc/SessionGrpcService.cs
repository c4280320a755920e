using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Approvals;
using Broker.Server.Composition;
using Broker.Server.Auth;
using Broker.Server.Interactive;
using Grpc.Core;
using Recorder;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

/// <summary>
/// The gRPC face of sessions. It only translates: opening goes through the access policy and
/// the session manager; everything the client receives comes from the session's event stream.
/// </summary>
internal sealed partial class SessionGrpcService : V1.SessionService.SessionServiceBase
{
    private const int MaxTerminateReasonLength = 1024;
    private static readonly TimeSpan FirstFrameTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TerminateWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HalfCloseGrace = TimeSpan.FromSeconds(2);
    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);
    private readonly SessionManager _sessions;
    private readonly SessionComposer _composer;
    private readonly IAccessPolicy _access;
    private readonly SessionTokenWatches _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionGrpcService> _logger;

    public SessionGrpcService(SessionManager sessions, SessionComposer composer, IAccessPolicy access, SessionTokenWatches tokens, TimeProvider time, ILogger<SessionGrpcService> logger)
    {
        _sessions = sessions;
        _composer = composer;
        _access = access;
        _tokens = tokens;
        _time = time;
        _logger = logger;
    }

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
            await ForwardEventsAsync(session, responseStream, static item => item switch
            {
                SessionEvent.Output output => new V1.InteractResponse { Output = ProtocolMapping.Wrap(output.Data) },
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

    private static async ValueTask<InputResult> SendAuditedAsync(Session session, RawCommandAuditor? auditor, ReadOnlyMemory<byte> keys, CancellationToken cancellationToken)
    {
        // Seen before they are written: the shell may read them and report the command start at once.
        if (session.IsRunning && session.Limits.CheckInputFrame(keys.Length) is null)
        {
            auditor?.Keys(keys.Span);
        }

        return await session.SendInputAsync(keys, cancellationToken).ConfigureAwait(false);
    }

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
            await ForwardEventsAsync(session, responseStream, static item => item switch
            {
                SessionEvent.Output { Stream: OutputChannel.Stderr } output => new V1.ExecResponse { Stderr = ProtocolMapping.Wrap(output.Data) },
                SessionEvent.Output output => new V1.ExecResponse { Stdout = ProtocolMapping.Wrap(output.Data) },
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
                $"broker: held for approval {held.Command.ApprovalId}; once it is approved, run the identical command again (agent-client approvals wait {held.Command.ApprovalId})",
                new V1.ExitStatus { Code = SessionComposer.ReturnModeExitCode, Reason = V1.ExitReason.ApprovalPending }),
            // A command that cannot start fails like it would in a shell: a message and 126/127.
            SessionOutcome.StartFailed failed => (failed.Message, new V1.ExitStatus { Code = failed.ExitCode, Reason = V1.ExitReason.Exited }),
            SessionOutcome.Refused refused => throw refused.Refusal.ToRpcException(),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        await responseStream.WriteAsync(new V1.ExecResponse { Stderr = Google.Protobuf.ByteString.CopyFromUtf8(message + "\n") }).ConfigureAwait(false);
        await responseStream.WriteAsync(new V1.ExecResponse { Exit = exit }).ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels the input pump and waits for it: Kestrel reuses a finished call's request stream for
    /// the next call on the connection, so no read may still be pending when the handler returns.
    /// </summary>
    /// <remarks>
    /// A session the broker ended because it is shutting down first gets <see cref="HalfCloseGrace"/> for its client
    /// to end its request stream: the web server closes the connection as soon as the last call returns, and an
    /// HTTP/2 client whose request side is still open drops what it has received but not yet read (the exit frame)
    /// when the connection closes. Clients that read the exit frame end their side at once; others cost the grace.
    /// </remarks>
    private async Task StopReadingAsync(Task pump, CancellationTokenSource stop, Session session)
    {
        if (session.ExitStatus?.Reason == SessionEndReason.BrokerShutdown)
        {
            await Task.WhenAny(pump, Task.Delay(HalfCloseGrace, _time, stop.Token)).ConfigureAwait(false);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await pump.ConfigureAwait(false);
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

    public override Task<V1.ListSessionsResponse> ListSessions(V1.ListSessionsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var response = new V1.ListSessionsResponse();
        response.Sessions.AddRange(_sessions.Registry.List(request.IncludeEnded).Where(s => MaySee(caller, s)).Select(s => s.ToInfo()));
        return Task.FromResult(response);
    }

    public override Task<V1.GetSessionResponse> GetSession(V1.GetSessionRequest request, ServerCallContext context) =>
        Task.FromResult(new V1.GetSessionResponse { Session = FindVisible(context.Caller(), request.SessionId).ToInfo() });

    public override async Task<V1.TerminateSessionResponse> TerminateSession(V1.TerminateSessionRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var session = FindVisible(caller, request.SessionId);
        if (!MayEnd(caller, session))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"session '{session.Id}' is not yours: observers may watch sessions, only operators may end other identities' sessions"));
        }

        if (session.ExitStatus is { } ended)
        {
            // Nothing to kill: say so rather than answer as if this call had ended it.
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"session '{session.Id}' had already ended (exit code {ended.Code}, {ended.Reason}); nothing was terminated"));
        }

        // The reason reaches the agent's terminal, observers and the log: only as visible text, and one line.
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "no reason given" : UntrustedText.Neutralize(request.Reason, MaxTerminateReasonLength);
        var subject = UntrustedText.Neutralize(caller.Subject);
        LogTerminated(_logger, session.Id, subject, reason);
        session.Terminate(SessionEndReason.Terminated, $"terminated by {subject}: {reason}");

        // The kill is under way either way: a session still ending after the wait is reported as it
        // stands (RUNNING), never as a failed call, so an operator does not take a slow kill for a refused one.
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        await Task.WhenAny(session.Completion, Task.Delay(TerminateWait, _time, stopWaiting.Token)).ConfigureAwait(false);
        await stopWaiting.CancelAsync().ConfigureAwait(false);
        return new V1.TerminateSessionResponse { Session = session.ToInfo() };
    }

    private Session FindVisible(CallerIdentity caller, string id)
    {
        var session = _sessions.Registry.Find(id);
        // A session the caller may not see is reported exactly like one that does not exist.
        if (session is null || !MaySee(caller, session))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"session '{id}' does not exist"));
        }

        return session;
    }

    /// <summary>Owners see their sessions; operators and observers see every session (observers may attach to any).</summary>
    private bool MaySee(CallerIdentity caller, Session session) => MayEnd(caller, session) || _access.IsObserver(caller);

    /// <summary>Owners may end their sessions; operators may end any.</summary>
    private bool MayEnd(CallerIdentity caller, Session session) =>
        (session.Owner.Issuer == caller.Issuer && session.Owner.Subject == caller.Subject) || _access.IsOperator(caller);

    private static V1.SessionOpened Opened(Session session)
    {
        var opened = new V1.SessionOpened { SessionId = session.Id, Target = session.Target };
        opened.Roles.AddRange(session.Roles);
        return opened;
    }

    private static InputResult Signal(Session session, V1.Signal signal) =>
        signal.FromProto() is { } mapped ? session.Signal(mapped) : InputResult.Rejected($"unknown signal {signal}");

    private static bool CommandHasNul(TargetCommand command) => command switch
    {
        TargetCommand.Argv argv => argv.Arguments.Any(a => a.Contains('\0', StringComparison.Ordinal)),
        TargetCommand.Script script => script.Text.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>
    /// Writes the session's events to the client in order, then waits for the session to have ended (exit recorded,
    /// recording sealed); the call's status goes out then, while the session's account is still being released.
    /// </summary>
    private async Task ForwardEventsAsync<T>(Session session, IServerStreamWriter<T> responses, Func<SessionEvent, T> map, CancellationToken cancellationToken)
    {
        var events = session.Events;
        while (await events.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (events.TryRead(out var item))
            {
                // A burst of queued events costs one flush: every frame but the burst's last is only buffered.
                responses.WriteOptions = events.TryPeek(out _) ? BufferedWrite : null;
                await responses.WriteAsync(map(item), CancellationToken.None).ConfigureAwait(false);
                // The frame was serialized by the write: the output's pooled array can go back.
                (item as SessionEvent.Output)?.Release();
            }
        }

        await session.Ended.ConfigureAwait(false);
        if (session.ExitStatus is { } exit)
        {
            LogEnded(_logger, session.Id, exit.Code, exit.Signal, exit.Reason);
        }
    }

    private static async Task<T> ReadFirstAsync<T>(IAsyncStreamReader<T> requests, ServerCallContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(FirstFrameTimeout);
        try
        {
            if (!await requests.MoveNext(timeout.Token).ConfigureAwait(false))
            {
                throw Invalid("the stream ended before its first frame");
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw Invalid($"no first frame within {FirstFrameTimeout.TotalSeconds:0} s");
        }

        return requests.Current;
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

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));


    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} ended: exit code {ExitCode}, signal {Signal}, {Reason}")]
    private static partial void LogEnded(ILogger logger, string sessionId, int exitCode, int signal, SessionEndReason reason);


    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} terminated by {Subject}: {Reason}")]
    private static partial void LogTerminated(ILogger logger, string sessionId, string subject, string reason);
}
