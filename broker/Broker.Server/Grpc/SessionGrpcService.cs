using Broker.Core.Interactive;
using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.Identity.Tokens;
using Broker.Server.Access;
using Broker.Server.Auth;
using Broker.Server.Credentials;
using Broker.Server.Interactive;
using Broker.Server.Logging;
using Broker.Server.Masking;
using Broker.Server.Recording;
using Recorder;
using Grpc.Core;
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
    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);
    private readonly SessionManager _sessions;
    private readonly IAccessPolicy _access;
    private readonly MaskingProfiles _masking;
    private readonly RecordingCatalog _recordings;
    private readonly SessionAwsCredentials _credentials;
    private readonly SessionTokenWatches _tokens;
    private readonly TimeProvider _time;
    private readonly OpenSessions _open;
    private readonly ILogger<SessionGrpcService> _logger;

    public SessionGrpcService(SessionManager sessions, IAccessPolicy access, MaskingProfiles masking, RecordingCatalog recordings, SessionAwsCredentials credentials, SessionTokenWatches tokens, TimeProvider time, OpenSessions open, ILogger<SessionGrpcService> logger)
    {
        _open = open;
        _sessions = sessions;
        _access = access;
        _masking = masking;
        _recordings = recordings;
        _credentials = credentials;
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

        var access = Authorize(caller, open.Target);
        var raw = _access.Roles(access.Roles).Any(r => r.Terminal == Broker.Policy.TerminalMode.Raw);
        var (request, secrets) = Prepare(caller, open.Target, access.Roles, "interactive", (int)Math.Min(size.Columns, 100000), (int)Math.Min(size.Rows, 100000), term);
        // The shell reports its prompt through markers only this session knows. In line mode every
        // command typed at that prompt is decided before the shell sees it; a raw terminal's
        // commands are rebuilt from the keystrokes and recorded as audited, not enforced.
        var integration = raw ? ShellIntegration.CreateForAudit() : ShellIntegration.Create();
        var line = raw ? null : new LineModeSession(integration, secrets);
        var roles = new SessionRoles(access.Roles);
        var auditor = raw ? new RawCommandAuditor(integration, _access, roles, (RecordingJournal)request.Journal) : null;
        var masking = request.CreateFilter;
        request = request with { CreateFilter = () => new ChainedOutputFilter(line?.CreateMarkerFilter() ?? auditor!.CreateMarkerFilter(), masking()) };

        var result = await OpenAsync(request, (r, ct) => _sessions.OpenTerminalAsync(r, size.Columns, size.Rows, term, integration, ct), context.CancellationToken).ConfigureAwait(false);
        var session = ThrowIfFailed(result);
        _open.Track(session, caller, open.Target, roles, raw);
        LogOpened(_logger, session.Id, new LoggedText(caller.Subject), new LoggedText(session.Target), "interactive");
        using var binding = new SessionCallBinding(session, context.CancellationToken);
        using var tokenWatch = _tokens.Start(caller, session);
        await responseStream.WriteAsync(new V1.InteractResponse { Opened = Opened(session) }).ConfigureAwait(false);
        session.PostNotice(NoticeKind.Info, raw
            ? "raw terminal: keystrokes pass through; commands are not checked by the policy, only audited"
            : "line mode: each command typed at the prompt is decided by the policy before the shell sees it");
        var lineMode = line?.RunAsync(session, new PolicyLineGate(_access, roles, _access.ContextFor(open.Target), (RecordingJournal)request.Journal, session.PostDecision, caller.Subject, _logger));
        using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var input = PumpInteractiveInputAsync(requestStream, session, line, auditor, tokenWatch, stopInput.Token);
        bool inputEndedFirst;
        try
        {
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
            await StopReadingAsync(input, stopInput).ConfigureAwait(false);
            if (lineMode is not null)
            {
                await lineMode.ConfigureAwait(false);
            }
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

        var access = Authorize(caller, start.Target);
        var (request, secrets) = Prepare(caller, start.Target, access.Roles, "exec", 0, 0, string.Empty);
        var journal = (RecordingJournal)request.Journal;
        var (input, text) = command switch
        {
            TargetCommand.Argv argv => (Broker.Policy.CommandInput.Argv(argv.Arguments), string.Join(' ', argv.Arguments)),
            TargetCommand.Script script => (Broker.Policy.CommandInput.Script(script.Text), script.Text),
            _ => throw Invalid("unknown command shape"),
        };
        Broker.Policy.Decision decision;
        try
        {
            if (!CommandRecords.TextFits(text))
            {
                // What cannot be recorded does not run: the refusal (with the command's start) is the record.
                journal.ExecCommand(CommandRecords.Oversized(text));
                await CloseUnopenedAsync(journal, 126, SessionEndReason.ControlFailed, "INVALID_ARGUMENT: " + CommandRecords.OversizedReason(text)).ConfigureAwait(false);
                _credentials.Release(request.Id);
                throw Invalid(CommandRecords.OversizedReason(text));
            }

            decision = _access.Decide(request.Roles, input.In(_access.ContextFor(start.Target)));
            LogDecision(_logger, new LoggedText(caller.Subject), decision.VerdictName, new LoggedText(decision.RuleId ?? "-"));
            journal.ExecCommand(CommandRecords.For(text, decision));
            // An allowed command's decision travels with the 'opened' frame that follows it: one flush, not two.
            responseStream.WriteOptions = decision.Verdict == Broker.Policy.Verdict.Allow ? BufferedWrite : null;
            await responseStream.WriteAsync(new V1.ExecResponse { Decision = MaskedDecision.Of(decision, text, journal.Masking).ToProto() }).ConfigureAwait(false);
            responseStream.WriteOptions = null;
            if (decision.Verdict != Broker.Policy.Verdict.Allow)
            {
                await responseStream.WriteAsync(new V1.ExecResponse { Stderr = Google.Protobuf.ByteString.CopyFromUtf8(journal.Masking.Text(CommandRecords.Refusal(decision)) + "\n") }).ConfigureAwait(false);
                await responseStream.WriteAsync(new V1.ExecResponse { Exit = new V1.ExitStatus { Code = 126, Reason = V1.ExitReason.PolicyDenied } }).ConfigureAwait(false);
                await CloseUnopenedAsync(journal, 126, SessionEndReason.PolicyDenied, null).ConfigureAwait(false);
                _credentials.Release(request.Id);
                return;
            }
        }
        catch (Exception) when (!journal.Completion.IsCompleted)
        {
            // The client left (a failed write) or deciding failed: the recording still ends, sealed, and its file is closed.
            _credentials.Release(request.Id);
            await CloseUnopenedAsync(journal, 255, SessionEndReason.ControlFailed, "the session could not be opened").ConfigureAwait(false);
            throw;
        }

        if (decision.Facts.SecretOutput)
        {
            // The command prints a secret: nobody sees its output, and the value is masked wherever it shows up.
            var masking = request.CreateFilter;
            request = request with { CreateFilter = () => new ChainedOutputFilter(new SecretOutputCapture(secrets), masking()) };
        }

        var result = await OpenAsync(request, (r, ct) => _sessions.OpenCommandAsync(r, command, ct), context.CancellationToken).ConfigureAwait(false);
        if (result.Failure == OpenFailureKind.StartFailed && result.Session is null)
        {
            // A command that cannot start fails like it would in a shell: a message and 126/127.
            await responseStream.WriteAsync(new V1.ExecResponse { Stderr = Google.Protobuf.ByteString.CopyFromUtf8(result.Message + "\n") }).ConfigureAwait(false);
            await responseStream.WriteAsync(new V1.ExecResponse { Exit = new V1.ExitStatus { Code = result.ExitCode, Reason = V1.ExitReason.Exited } }).ConfigureAwait(false);
            return;
        }

        var session = ThrowIfFailed(result);
        _open.Track(session, caller, start.Target, new SessionRoles(access.Roles), rawTerminal: false);
        LogOpened(_logger, session.Id, new LoggedText(caller.Subject), new LoggedText(session.Target), "exec");
        using var binding = new SessionCallBinding(session, context.CancellationToken);
        using var tokenWatch = _tokens.Start(caller, session);
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
            await StopReadingAsync(stdin, stopInput).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Cancels the input pump and waits for it: Kestrel reuses a finished call's request stream for
    /// the next call on the connection, so no read may still be pending when the handler returns.
    /// </summary>
    private static async Task StopReadingAsync(Task pump, CancellationTokenSource stop)
    {
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

    private AccessDecision Authorize(CallerIdentity caller, string target)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            throw Invalid("a target is required");
        }

        if (!_sessions.HasTarget(target))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"target '{target}' does not exist"));
        }

        var access = _access.Authorize(caller, target);
        if (!access.Allowed)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, access.Denial!));
        }

        return access;
    }

    /// <summary>Builds the session's masking and opens its recording before anything runs.</summary>
    private (OpenRequest Request, Broker.Masking.SecretRegistry Secrets) Prepare(CallerIdentity caller, string target, IReadOnlyList<string> roles, string kind, int columns, int rows, string term)
    {
        var profiles = _masking.For(_access.Roles(roles));
        if (profiles.Profile is not { } profile)
        {
            // Masking is configured but cannot be built: refuse rather than show unmasked output.
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"output masking for this session cannot be enforced: {string.Join("; ", profiles.Errors)}"));
        }

        if (_recordings.Limits.RefuseNewSessions() is { } shortage)
        {
            // A session that could not be recorded to its end does not start.
            throw new RpcException(new Status(StatusCode.ResourceExhausted, shortage));
        }

        var masking = new SessionMasking(profile, new Broker.Masking.SecretRegistry(), columns, rows);
        var id = SessionIds.New(_time);
        var header = new RecordingHeader
        {
            SessionId = id,
            Subject = caller.Subject,
            Issuer = caller.Issuer,
            Roles = roles,
            Target = target,
            Kind = kind,
            Columns = columns,
            Rows = rows,
            Term = term,
            BrokerVersion = BrokerVersion,
            StartedAt = _time.GetUtcNow(),
        };
        RecordingJournal journal;
        try
        {
            journal = _recordings.OpenJournal(header, _logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No recording, no session.
            throw new RpcException(new Status(StatusCode.Unavailable, $"the session cannot be recorded: {ex.Message}"));
        }

        journal.Masking = masking;
        var aws = _credentials.Reserve(caller, _access.Roles(roles), id, masking.Secrets);

        return (new OpenRequest
        {
            Id = id,
            Owner = new SessionOwner(caller.Issuer, caller.Subject),
            Roles = roles,
            Target = target,
            Environment = SessionEnvironment.For(caller, aws?.Environment),
            CreateFilter = masking.CreateOutputFilter,
            CreateInputFilter = masking.CreateInputFilter,
            Journal = journal,
        }, masking.Secrets);
    }

    /// <summary>Opens the session (after its AWS credentials, if any, were issued); when it cannot open, the recording is closed with the reason.</summary>
    private async Task<OpenResult> OpenAsync(OpenRequest request, Func<OpenRequest, CancellationToken, ValueTask<OpenResult>> open, CancellationToken cancellationToken)
    {
        var journal = (RecordingJournal)request.Journal;
        await IssueCredentialsAsync(request.Id, journal, cancellationToken).ConfigureAwait(false);
        OpenResult result;
        try
        {
            result = await open(request, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _credentials.Release(request.Id);
            await CloseUnopenedAsync(journal, 255, SessionEndReason.ControlFailed, "the session could not be opened").ConfigureAwait(false);
            throw;
        }

        if (result.Session is null)
        {
            _credentials.Release(request.Id);
            await CloseUnopenedAsync(journal, result.ExitCode, SessionEndReason.Exited, result.Message).ConfigureAwait(false);
        }
        else
        {
            _credentials.Bind(request.Id, result.Session);
        }

        return result;
    }

    /// <summary>The session's first AWS credentials (if its role has any) before anything runs: no credentials, no session.</summary>
    private async Task IssueCredentialsAsync(string sessionId, RecordingJournal journal, CancellationToken cancellationToken)
    {
        CredentialFailure? refused;
        try
        {
            refused = await _credentials.ActivateAsync(sessionId, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _credentials.Release(sessionId);
            await CloseUnopenedAsync(journal, 255, SessionEndReason.ControlFailed, "the session could not be opened").ConfigureAwait(false);
            throw;
        }

        if (refused is not null)
        {
            await CloseUnopenedAsync(journal, 255, SessionEndReason.ControlFailed, refused.Message).ConfigureAwait(false);
            throw refused.ToRpcException();
        }
    }

    private static async Task CloseUnopenedAsync(RecordingJournal journal, int code, SessionEndReason reason, string? message)
    {
        if (message is not null)
        {
            journal.Notice(NoticeKind.SessionEnding, message);
        }

        journal.Ended(new SessionEvent.Ended(code, 0, reason));
        await journal.CompleteAsync().ConfigureAwait(false);
    }

    private static readonly string BrokerVersion = typeof(SessionGrpcService).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private static Session ThrowIfFailed(OpenResult result) => result.Session ?? throw new RpcException(new Status(
        result.Failure switch
        {
            OpenFailureKind.UnknownTarget => StatusCode.NotFound,
            OpenFailureKind.InvalidRequest => StatusCode.InvalidArgument,
            OpenFailureKind.LimitReached => StatusCode.ResourceExhausted,
            _ => StatusCode.FailedPrecondition,
        },
        result.Message ?? "the session could not be opened"));

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

    /// <summary>Writes the session's events to the client in order, then waits for the session to be over.</summary>
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

        await session.Completion.ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} opened by {Subject} on {Target} ({Kind})")]
    private static partial void LogOpened(ILogger logger, string sessionId, LoggedText subject, LoggedText target, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} ended: exit code {ExitCode}, signal {Signal}, {Reason}")]
    private static partial void LogEnded(ILogger logger, string sessionId, int exitCode, int signal, SessionEndReason reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command of {Subject}: {Verdict} ({Rule})")]
    private static partial void LogDecision(ILogger logger, LoggedText subject, string verdict, LoggedText rule);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} terminated by {Subject}: {Reason}")]
    private static partial void LogTerminated(ILogger logger, string sessionId, string subject, string reason);
}
