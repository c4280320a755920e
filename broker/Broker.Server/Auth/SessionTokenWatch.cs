using Broker.Core.Sessions;
using Broker.Identity.Tokens;
using Broker.Policy;
using Broker.Server.Logging;

namespace Broker.Server.Auth;

/// <summary>
/// Keeps a session tied to a valid token of its caller. When the token the session was opened
/// with (or the last renewal) expires, the session gets a notice; if no fresh token of the same
/// issuer and subject arrives within the grace period, it ends with <see cref="SessionEndReason.TokenExpired"/>.
/// </summary>
internal sealed partial class SessionTokenWatch : IDisposable
{
    private readonly CallerIdentity _caller;
    private readonly Session _session;
    private readonly TokenValidator _validator;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private DateTimeOffset _expiresAt;
    private bool _warned;
    private DateTimeOffset _graceEndsAt;

    public SessionTokenWatch(AuthenticatedCaller caller, Session session, TokenValidator validator, TimeProvider time, TimeSpan grace, ILogger logger)
    {
        _caller = caller.Identity;
        _session = session;
        _validator = validator;
        _time = time;
        _grace = grace;
        _logger = logger;
        _expiresAt = caller.ExpiresAt;
        _timer = time.CreateTimer(_ => Check(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_gate)
        {
            Schedule(_expiresAt);
        }
    }

    /// <summary>Validates a fresh token from the client; it must be valid and name the session's caller.</summary>
    public async ValueTask<InputResult> RenewAsync(string token, CancellationToken cancellationToken)
    {
        var outcome = await _validator.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (!outcome.IsSuccess)
        {
            LogRenewalRefused(_logger, _session.Id, outcome.Failure);
            return InputResult.Rejected($"the renewed token was refused: {outcome.Reason}");
        }

        var renewed = outcome.Caller;
        if (renewed.Identity.Issuer != _caller.Issuer || renewed.Identity.Subject != _caller.Subject)
        {
            LogRenewalRefused(_logger, _session.Id, TokenFailureKind.Malformed);
            return InputResult.Rejected("the renewed token is for another identity than the session's");
        }

        lock (_gate)
        {
            if (renewed.ExpiresAt > _expiresAt)
            {
                _expiresAt = renewed.ExpiresAt;
                _warned = false;
                Schedule(_expiresAt);
            }
        }

        LogRenewed(_logger, _session.Id, renewed.ExpiresAt);
        return InputResult.Accepted;
    }

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (now < _expiresAt)
            {
                Schedule(_expiresAt);
                return;
            }

            // The grace runs from the moment the client is told, not from the expiry: on a busy
            // machine this timer can fire late, and a session must never end without the notice
            // and the whole grace to answer it.
            if (!_warned)
            {
                _warned = true;
                _graceEndsAt = now + _grace;
                _session.PostNotice(NoticeKind.TokenExpiring, $"your token expired at {_expiresAt:u}; send a fresh token (renew_token) within {_grace.TotalSeconds:0} s or the session ends");
            }

            if (now < _graceEndsAt)
            {
                Schedule(_graceEndsAt);
                return;
            }
        }

        LogExpired(_logger, _session.Id, new LoggedText(_caller.Subject));
        _session.Terminate(SessionEndReason.TokenExpired, "the caller's token expired and was not renewed");
    }

    private void Schedule(DateTimeOffset at)
    {
        var due = at - _time.GetUtcNow();
        _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: token renewed until {ExpiresAt}")]
    private static partial void LogRenewed(ILogger logger, string sessionId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: renewed token refused ({Reason})")]
    private static partial void LogRenewalRefused(ILogger logger, string sessionId, TokenFailureKind reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} of {Subject} ends: its token expired and was not renewed")]
    private static partial void LogExpired(ILogger logger, string sessionId, LoggedText subject);
}

/// <summary>Creates the token watch of each session.</summary>
internal sealed class SessionTokenWatches
{
    private readonly TokenValidator _validator;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly ILogger<SessionTokenWatch> _logger;

    public SessionTokenWatches(TokenValidator validator, Configuration.BrokerSettings settings, ILogger<SessionTokenWatch> logger)
    {
        _validator = validator;
        _time = settings.Time;
        _grace = settings.TokenGracePeriod;
        _logger = logger;
    }

    public SessionTokenWatch Start(AuthenticatedCaller caller, Session session) => new(caller, session, _validator, _time, _grace, _logger);
}
