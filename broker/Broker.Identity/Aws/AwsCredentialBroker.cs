using System.Collections.Concurrent;
using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Broker.Policy;
using Microsoft.Extensions.Logging;

namespace Broker.Identity.Aws;

/// <summary>
/// Gets short-lived AWS credentials for a session by calling STS <c>AssumeRole</c> with the
/// broker's base credentials. Credentials are cached per (identity, role, session): the session
/// id is one of the session tags CloudTrail records, so two sessions must never share one.
/// They are refreshed before expiry (the smaller of 5 minutes and 20 % of their lifetime).
/// Thread-safe; one per broker.
/// </summary>
public sealed partial class AwsCredentialBroker : IDisposable
{
    private static readonly TimeSpan MaximumRefreshMargin = TimeSpan.FromMinutes(5);

    private readonly StsSettings _settings;
    private readonly AWSCredentials? _baseCredentials;
    private readonly TimeProvider _time;
    private readonly ILogger<AwsCredentialBroker> _logger;
    private readonly ConcurrentDictionary<string, AmazonSecurityTokenServiceClient> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<CacheKey, CacheEntry> _cache = new();

    /// <summary>Creates the broker.</summary>
    /// <param name="settings">How to reach STS.</param>
    /// <param name="baseCredentials">The broker's own credentials; null for the SDK's default chain.</param>
    /// <param name="time">The clock for refresh decisions.</param>
    /// <param name="logger">Receives STS outcomes (never secret values).</param>
    /// <exception cref="ArgumentException">The settings are invalid.</exception>
    public AwsCredentialBroker(StsSettings settings, AWSCredentials? baseCredentials, TimeProvider time, ILogger<AwsCredentialBroker> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(settings));
        }

        _settings = settings;
        _baseCredentials = baseCredentials;
        _time = time;
        _logger = logger;
    }

    /// <summary>The <c>RoleSessionName</c> used for <paramref name="identity"/>: the subject when it fits STS's rules, else a sanitised prefix and a hash.</summary>
    /// <param name="identity">The caller.</param>
    /// <returns>A name of 2–64 characters of <c>[\w+=,.@-]</c>.</returns>
    public static string RoleSessionNameFor(CallerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return AwsNames.RoleSessionName(identity);
    }

    /// <summary>The <c>SourceIdentity</c> used for <paramref name="identity"/> (same rules as <see cref="RoleSessionNameFor"/>).</summary>
    /// <param name="identity">The caller.</param>
    /// <returns>A name of 2–64 characters of <c>[\w+=,.@-]</c>.</returns>
    public static string SourceIdentityFor(CallerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return AwsNames.SourceIdentity(identity);
    }

    /// <summary>Returns the session's current credentials, calling STS when there are none or they are due for refresh.</summary>
    /// <param name="identity">The validated caller.</param>
    /// <param name="roleName">The broker role's name (a session tag).</param>
    /// <param name="role">The role's AWS settings (validated by <see cref="AwsRoleSettings.Validate"/>).</param>
    /// <param name="sessionId">The broker session id (a session tag, and part of the cache key).</param>
    /// <param name="cancellationToken">Cancels the STS call.</param>
    /// <returns>The credentials, or a failure naming the role ARN and the STS error code.</returns>
    public async Task<CredentialOutcome> GetAsync(CallerIdentity identity, string roleName, AwsRoleSettings role, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentException.ThrowIfNullOrEmpty(roleName);
        ArgumentNullException.ThrowIfNull(role);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var problems = role.Validate();
        if (problems.Count > 0)
        {
            return CredentialOutcome.Failure("InvalidRoleSettings", $"AWS settings of role '{roleName}' are invalid: {string.Join("; ", problems)}");
        }

        var entry = _cache.GetOrAdd(CacheKey.For(identity, roleName, role, sessionId), static _ => new CacheEntry());
        if (entry.Current is { } fresh && _time.GetUtcNow() < fresh.RefreshAt)
        {
            return CredentialOutcome.Success(fresh.Credentials);
        }

        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = entry.Current;
            var now = _time.GetUtcNow();
            if (current is not null && now < current.RefreshAt)
            {
                return CredentialOutcome.Success(current.Credentials);
            }

            var outcome = await AssumeRoleAsync(identity, roleName, role, sessionId, cancellationToken).ConfigureAwait(false);
            if (outcome.IsSuccess)
            {
                entry.Current = new CachedCredentials(outcome.Credentials, RefreshAt(now, outcome.Credentials.Expiration));
                return outcome;
            }

            // A refresh that fails while the old credentials still work is not worth failing the session over.
            if (current is not null && _time.GetUtcNow() < current.Credentials.Expiration - TimeSpan.FromSeconds(30))
            {
                LogRefreshFailedKeepingCurrent(_logger, role.RoleArn, sessionId, outcome.ErrorCode!);
                return CredentialOutcome.Success(current.Credentials);
            }

            return outcome;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Creates the credential source of one session; dispose it when the session ends.</summary>
    /// <param name="identity">The validated caller.</param>
    /// <param name="roleName">The broker role's name.</param>
    /// <param name="role">The role's AWS settings.</param>
    /// <param name="sessionId">The broker session id.</param>
    /// <param name="onIssued">Called with every new credential before it is handed out (register its values with the masker here).</param>
    /// <returns>The source.</returns>
    public SessionCredentialSource CreateSessionSource(CallerIdentity identity, string roleName, AwsRoleSettings role, string sessionId, Action<SessionCredentials> onIssued)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentException.ThrowIfNullOrEmpty(roleName);
        ArgumentNullException.ThrowIfNull(role);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(onIssued);
        return new SessionCredentialSource(this, identity, roleName, role, sessionId, onIssued);
    }

    /// <summary>Drops every cached credential of <paramref name="sessionId"/>.</summary>
    /// <param name="sessionId">The ended session.</param>
    public void EndSession(string sessionId)
    {
        foreach (var key in _cache.Keys)
        {
            if (key.SessionId == sessionId)
            {
                _cache.TryRemove(key, out _);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private static DateTimeOffset RefreshAt(DateTimeOffset issuedAt, DateTimeOffset expiration)
    {
        var fifth = (expiration - issuedAt) / 5;
        return expiration - (fifth < MaximumRefreshMargin ? fifth : MaximumRefreshMargin);
    }

    private async Task<CredentialOutcome> AssumeRoleAsync(CallerIdentity identity, string roleName, AwsRoleSettings role, string sessionId, CancellationToken cancellationToken)
    {
        var tags = role.Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
        tags.Add(new Tag { Key = "agent", Value = AwsNames.TagValue(identity.Subject) });
        tags.Add(new Tag { Key = "issuer", Value = AwsNames.TagValue(identity.Issuer) });
        tags.Add(new Tag { Key = "session", Value = AwsNames.TagValue(sessionId) });
        tags.Add(new Tag { Key = "role", Value = AwsNames.TagValue(roleName) });
        var request = new AssumeRoleRequest
        {
            RoleArn = role.RoleArn,
            RoleSessionName = AwsNames.RoleSessionName(identity),
            SourceIdentity = AwsNames.SourceIdentity(identity),
            DurationSeconds = (int)role.Duration.TotalSeconds,
            Policy = role.SessionPolicy,
            Tags = tags,
        };

        try
        {
            var response = await Client(role.Region ?? _settings.Region).AssumeRoleAsync(request, cancellationToken).ConfigureAwait(false);
            var issued = response.Credentials;
            if (issued?.AccessKeyId is null || issued.SecretAccessKey is null || issued.SessionToken is null || issued.Expiration is not { } expiration)
            {
                return CredentialOutcome.Failure("InvalidStsResponse", $"AssumeRole on {role.RoleArn} returned no complete credentials");
            }

            var credentials = new SessionCredentials(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken, new DateTimeOffset(DateTime.SpecifyKind(expiration, DateTimeKind.Utc)));
            LogIssued(_logger, role.RoleArn, request.RoleSessionName, sessionId, issued.AccessKeyId, credentials.Expiration);
            return CredentialOutcome.Success(credentials);
        }
        catch (AmazonServiceException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var code = string.IsNullOrEmpty(ex.ErrorCode) ? $"HTTP{(int)ex.StatusCode}" : ex.ErrorCode;
            LogStsFailed(_logger, role.RoleArn, sessionId, code, ex.Message);
            return CredentialOutcome.Failure(code, $"AssumeRole on {role.RoleArn} failed: {code}: {ex.Message}");
        }
        catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or IOException or TimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogStsFailed(_logger, role.RoleArn, sessionId, "StsUnreachable", ex.Message);
            return CredentialOutcome.Failure("StsUnreachable", $"AssumeRole on {role.RoleArn} failed: StsUnreachable: {ex.Message}");
        }
    }

    private AmazonSecurityTokenServiceClient Client(string region) => _clients.GetOrAdd(region, r =>
    {
        var config = new AmazonSecurityTokenServiceConfig { Timeout = _settings.RequestTimeout, MaxErrorRetry = 2 };
        if (_settings.ServiceUrl is { } url)
        {
            config.ServiceURL = url.AbsoluteUri;
            config.AuthenticationRegion = r;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(r);
        }

        return _baseCredentials is null ? new AmazonSecurityTokenServiceClient(config) : new AmazonSecurityTokenServiceClient(_baseCredentials, config);
    });

    [LoggerMessage(Level = LogLevel.Information, Message = "Assumed {RoleArn} as {RoleSessionName} for session {SessionId}: {AccessKeyId} until {Expiration}")]
    private static partial void LogIssued(ILogger logger, string roleArn, string roleSessionName, string sessionId, string accessKeyId, DateTimeOffset expiration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AssumeRole on {RoleArn} for session {SessionId} failed: {ErrorCode}: {Error}")]
    private static partial void LogStsFailed(ILogger logger, string roleArn, string sessionId, string errorCode, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing credentials of {RoleArn} for session {SessionId} failed ({ErrorCode}); the current ones are still valid")]
    private static partial void LogRefreshFailedKeepingCurrent(ILogger logger, string roleArn, string sessionId, string errorCode);

    private readonly record struct CacheKey(string Issuer, string Subject, string RoleName, string SessionId, string RoleArn, TimeSpan Duration, string? SessionPolicy, string? Region, string Tags)
    {
        public static CacheKey For(CallerIdentity identity, string roleName, AwsRoleSettings role, string sessionId) => new(
            identity.Issuer,
            identity.Subject,
            roleName,
            sessionId,
            role.RoleArn,
            role.Duration,
            role.SessionPolicy,
            role.Region,
            string.Join('\n', role.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + "=" + t.Value)));
    }

    private sealed record CachedCredentials(SessionCredentials Credentials, DateTimeOffset RefreshAt);

    // The gate is never disposed: an entry can be dropped by EndSession while a refresh still holds it.
    private sealed class CacheEntry
    {
        private volatile CachedCredentials? _current;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public CachedCredentials? Current
        {
            get => _current;
            set => _current = value;
        }
    }
}
