using Broker.Core.Interactive;
using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Credentials;
using Broker.Server.Interactive;
using Broker.Server.Logging;
using Broker.Server.Masking;
using Broker.Server.Recording;
using Recorder;

namespace Broker.Server.Composition;

/// <summary>
/// Makes sessions for every front end (gRPC today, MCP next): it takes an authenticated caller and a request and
/// returns a running session or a typed refusal. The stages run in one order, each before anything the next one spends:
/// authorization, admission (the identity's cap and the recording space, before any file, index row or STS call),
/// masking, recording, the credential reservation, the policy gate (exec: where <c>review</c> goes through
/// <see cref="IReviewGate"/>), the first STS call, the target, then the observers. When a stage refuses or fails,
/// <see cref="UnopenedSession"/> gives back what the earlier ones took.
/// </summary>
internal sealed partial class SessionComposer
{
    private static readonly string BrokerVersion = typeof(SessionComposer).Assembly.GetName().Version?.ToString() ?? "0.0.0";
    private readonly SessionManager _sessions;
    private readonly IAccessPolicy _access;
    private readonly MaskingProfiles _masking;
    private readonly RecordingCatalog _recordings;
    private readonly SessionAwsCredentials _credentials;
    private readonly OpenSessions _open;
    private readonly IReviewGate _review;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionComposer> _logger;

    public SessionComposer(SessionManager sessions, IAccessPolicy access, MaskingProfiles masking, RecordingCatalog recordings, SessionAwsCredentials credentials, OpenSessions open, IReviewGate review, TimeProvider time, ILogger<SessionComposer> logger)
    {
        _sessions = sessions;
        _access = access;
        _masking = masking;
        _recordings = recordings;
        _credentials = credentials;
        _open = open;
        _review = review;
        _time = time;
        _logger = logger;
    }

    /// <summary>Opens the session <paramref name="request"/> asks for, or says why not; only unexpected faults throw (after rolling back).</summary>
    public async Task<SessionOutcome> OpenAsync(CallerIdentity caller, SessionRequest request, CancellationToken cancellationToken)
    {
        var (columns, rows, term) = request is SessionRequest.Shell shell ? (shell.Columns, shell.Rows, shell.Term) : (0L, 0L, string.Empty);
        var (roles, denied) = Authorize(caller, request.Target);
        if (denied is not null)
        {
            return denied;
        }

        var (slot, refusal) = _sessions.Admit(new SessionOwner(caller.Issuer, caller.Subject), request.Target, columns, rows);
        if (slot is null)
        {
            return NotOpened(refusal!);
        }

        var unopened = new UnopenedSession(SessionIds.New(_time), slot, _credentials);
        try
        {
            if (_recordings.Limits.RefuseNewSessions() is { } shortage)
            {
                // A session that could not be recorded to its end does not start.
                await unopened.RollBackAsync(0, SessionEndReason.ControlFailed, null).ConfigureAwait(false);
                return Refused(RefusalKind.LimitReached, shortage);
            }

            var outcome = request switch
            {
                SessionRequest.Exec exec => await OpenExecAsync(caller, roles, exec, unopened, cancellationToken).ConfigureAwait(false),
                _ => await OpenShellAsync(caller, roles, (int)Math.Min(columns, 100000), (int)Math.Min(rows, 100000), term, unopened, cancellationToken).ConfigureAwait(false),
            };
            if (outcome is not SessionOutcome.Opened)
            {
                await unopened.RollBackAsync(0, SessionEndReason.ControlFailed, null).ConfigureAwait(false);
            }

            // A session that was recorded (run, refused or held) is named, so the client can find its recording.
            return unopened.Journal is null ? outcome : outcome with { SessionId = unopened.Id };
        }
        catch
        {
            // The client left or a stage failed unexpectedly: the recording still ends, sealed, and nothing stays reserved.
            await unopened.RollBackAsync(255, SessionEndReason.ControlFailed, "the session could not be opened").ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The caller's roles on <paramref name="target"/>, or the refusal.</summary>
    private (IReadOnlyList<string> Roles, SessionOutcome? Refusal) Authorize(CallerIdentity caller, string target)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            return ([], Refused(RefusalKind.InvalidRequest, "a target is required"));
        }

        if (!_sessions.HasTarget(target))
        {
            return ([], Refused(RefusalKind.UnknownTarget, $"target '{target}' does not exist"));
        }

        var access = _access.Authorize(caller, target);
        return access.Allowed ? (access.Roles, null) : ([], Refused(RefusalKind.NotPermitted, access.Denial!));
    }

    private async Task<SessionOutcome> OpenShellAsync(CallerIdentity caller, IReadOnlyList<string> roleNames, int columns, int rows, string term, UnopenedSession unopened, CancellationToken cancellationToken)
    {
        var raw = _access.Roles(roleNames).Any(r => r.Terminal == TerminalMode.Raw);
        if (Prepare(caller, roleNames, "interactive", columns, rows, term, unopened, out var notPrepared) is not { } prepared)
        {
            return notPrepared!;
        }

        var (request, masking) = prepared;
        var journal = unopened.Journal!;
        // The shell reports its prompt through markers only this session knows. In line mode every
        // command typed at that prompt is decided before the shell sees it; a raw terminal's
        // commands are rebuilt from the keystrokes and recorded as audited, not enforced.
        var integration = raw ? ShellIntegration.CreateForAudit() : ShellIntegration.Create();
        var line = raw ? null : new LineModeSession(integration, masking.Secrets);
        var roles = new SessionRoles(roleNames);
        var auditor = raw ? new RawCommandAuditor(integration, _access, roles, journal) : null;
        var createMasking = request.CreateFilter;
        request = request with
        {
            CreateFilter = () => new ChainedOutputFilter(line?.CreateMarkerFilter() ?? auditor!.CreateMarkerFilter(), createMasking()),
            OpeningNotice = raw
                ? "raw terminal: keystrokes pass through; commands are not checked by the policy, only audited"
                : "line mode: each command typed at the prompt is decided by the policy before the shell sees it",
        };

        var (session, notStarted) = await StartAsync(unopened, request, (r, ct) => _sessions.OpenTerminalAsync(r, columns, rows, term, integration, ct), cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return notStarted!;
        }

        Observe(session, caller, roles, raw, "interactive");
        var interaction = line?.RunAsync(session, new PolicyLineGate(_access, roles, _access.ContextFor(session.Target), journal, session.PostDecision, new LineReview(_review, caller, session.Id, session.Target, line, session.Completion), _logger)) ?? Task.CompletedTask;
        return new SessionOutcome.Opened(new OpenedSession(session, roles, line, auditor, interaction));
    }

    /// <summary>The observers of a session that opened: policy reloads re-derive its roles, and the log says it opened.</summary>
    private void Observe(Session session, CallerIdentity caller, SessionRoles roles, bool raw, string kind)
    {
        _open.Track(session, caller, session.Target, roles, raw);
        LogOpened(_logger, session.Id, new LoggedText(caller.Subject), new LoggedText(session.Target), kind);
    }

    /// <summary>Masking, then the recording, then the credential reservation; null (and the refusal) when a control cannot be had.</summary>
    private (OpenRequest Request, SessionMasking Masking)? Prepare(CallerIdentity caller, IReadOnlyList<string> roleNames, string kind, int columns, int rows, string term, UnopenedSession unopened, out SessionOutcome? refusal)
    {
        refusal = null;
        var roles = _access.Roles(roleNames);
        var profiles = _masking.For(roles);
        if (profiles.Profile is not { } profile)
        {
            // Masking is configured but cannot be built: refuse rather than show unmasked output.
            refusal = Refused(RefusalKind.ControlUnavailable, $"output masking for this session cannot be enforced: {string.Join("; ", profiles.Errors)}");
            return null;
        }

        var masking = new SessionMasking(profile, new Broker.Masking.SecretRegistry(), columns, rows);
        var header = new RecordingHeader
        {
            SessionId = unopened.Id,
            Subject = caller.Subject,
            Issuer = caller.Issuer,
            Roles = roleNames,
            Target = unopened.Slot.Target,
            Kind = kind,
            Columns = columns,
            Rows = rows,
            Term = term,
            BrokerVersion = BrokerVersion,
            StartedAt = _time.GetUtcNow(),
        };
        try
        {
            unopened.Journal = _recordings.OpenJournal(header, _logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No recording, no session.
            refusal = Refused(RefusalKind.Unavailable, $"the session cannot be recorded: {ex.Message}");
            return null;
        }

        unopened.Journal.Masking = masking;
        var aws = _credentials.Reserve(caller, roles, unopened.Id, masking.Secrets);
        return (new OpenRequest
        {
            Id = unopened.Id,
            Owner = unopened.Slot.Owner,
            Roles = roleNames,
            Target = unopened.Slot.Target,
            Environment = SessionEnvironment.For(caller, aws?.Environment),
            CreateFilter = masking.CreateOutputFilter,
            CreateInputFilter = masking.CreateInputFilter,
            Journal = unopened.Journal,
            Slot = unopened.Slot,
        }, masking);
    }

    /// <summary>The first AWS credentials (no credentials, no session), then the target; the session, or why it did not start.</summary>
    private async Task<(Session? Session, SessionOutcome? Refusal)> StartAsync(UnopenedSession unopened, OpenRequest request, Func<OpenRequest, CancellationToken, ValueTask<OpenResult>> open, CancellationToken cancellationToken)
    {
        if (await _credentials.ActivateAsync(unopened.Id, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            await unopened.RollBackAsync(255, SessionEndReason.ControlFailed, refused.Message).ConfigureAwait(false);
            return (null, Refused(refused.IsTransient ? RefusalKind.Unavailable : RefusalKind.ControlUnavailable, refused.Message));
        }

        var result = await open(request, cancellationToken).ConfigureAwait(false);
        if (result.Session is not { } session)
        {
            await unopened.RollBackAsync(result.ExitCode, SessionEndReason.Exited, result.Message).ConfigureAwait(false);
            return (null, NotOpened(result));
        }

        unopened.Opened(session);
        return (session, null);
    }

    private static SessionOutcome NotOpened(OpenResult result)
    {
        var message = result.Message ?? "the session could not be opened";
        return result.Failure switch
        {
            OpenFailureKind.StartFailed => new SessionOutcome.StartFailed(message, result.ExitCode),
            OpenFailureKind.UnknownTarget => Refused(RefusalKind.UnknownTarget, message),
            OpenFailureKind.InvalidRequest => Refused(RefusalKind.InvalidRequest, message),
            OpenFailureKind.LimitReached => Refused(RefusalKind.LimitReached, message),
            _ => Refused(RefusalKind.ControlUnavailable, message),
        };
    }

    private static SessionOutcome.Refused Refused(RefusalKind kind, string message) => new(new SessionRefusal(kind, message));

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} opened by {Subject} on {Target} ({Kind})")]
    private static partial void LogOpened(ILogger logger, string sessionId, LoggedText subject, LoggedText target, string kind);
}
