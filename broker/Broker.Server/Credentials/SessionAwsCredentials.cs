using System.Collections.Concurrent;
using Broker.Core.Sessions;
using Broker.Identity.Aws;
using Broker.Masking;
using Broker.Policy;

namespace Broker.Server.Credentials;

/// <summary>
/// The AWS credentials of sessions whose role has <c>aws.role_arn</c>. Reserve when the session
/// is prepared (it yields the environment variables), activate just before it opens (the first
/// STS call: a failure refuses the open), bind once it runs, release when it could not open. The
/// endpoint stops answering when the session ends. Every issued key, secret and token is
/// registered with the session's masking before it is served.
/// </summary>
internal sealed partial class SessionAwsCredentials
{
    private readonly AwsCredentialBroker _broker;
    private readonly CredentialsEndpoint _endpoint;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionAwsCredentials> _logger;
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<string, CredentialLease> _leases = new(StringComparer.Ordinal);

    public SessionAwsCredentials(AwsCredentialBroker broker, CredentialsEndpoint endpoint, TimeProvider time, ILogger<SessionAwsCredentials> logger)
    {
        _broker = broker;
        _endpoint = endpoint;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Reserves the endpoint path of session <paramref name="sessionId"/> when one of
    /// <paramref name="roles"/> has AWS settings (the first such role in file order); null when none does.
    /// </summary>
    public CredentialLease? Reserve(CallerIdentity caller, IReadOnlyList<RoleDefinition> roles, string sessionId, SecretRegistry secrets)
    {
        if (roles.FirstOrDefault(r => r.Aws is not null) is not { Aws: { } aws } role)
        {
            return null;
        }

        var source = _broker.CreateSessionSource(caller, role.Name, aws, sessionId, issued =>
        {
            secrets.Register("aws-access-key-id", issued.AccessKeyId);
            secrets.Register("aws-secret-access-key", issued.SecretAccessKey);
            secrets.Register("aws-session-token", issued.SessionToken);
        });
        DropAbandonedReservations();
        var lease = _endpoint.Add(source, _time.GetUtcNow());
        // The token only opens this endpoint, but output that shows it (env, set -x) has no reason to.
        secrets.Register("aws-container-authorization-token", source.AuthorizationToken);
        _leases[sessionId] = lease;
        return lease;
    }

    /// <summary>Gets the session's first credentials; null when it has none to get or they were issued, else the reason it must not open.</summary>
    public async Task<CredentialFailure?> ActivateAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!_leases.TryGetValue(sessionId, out var lease))
        {
            return null;
        }

        var outcome = await lease.Source.GetCurrentAsync(cancellationToken).ConfigureAwait(false);
        if (!outcome.IsSuccess)
        {
            Release(sessionId);
            return new CredentialFailure(lease.Source.RoleName, lease.Source.RoleArn, outcome.ErrorCode!);
        }

        lease.Activate();
        LogActivated(_logger, sessionId, lease.Source.RoleName, lease.Source.RoleArn);
        return null;
    }

    /// <summary>
    /// The credential source of the session whose environment is <paramref name="environment"/>, found by the
    /// endpoint token the session was given (the composer builds that environment, never the agent); null when
    /// the session has no AWS credential or its first credentials were not issued.
    /// </summary>
    public SessionCredentialSource? SourceFor(IReadOnlyDictionary<string, string> environment)
    {
        if (!environment.TryGetValue(CredentialLease.TokenVariable, out var token))
        {
            return null;
        }

        return _leases.Values.FirstOrDefault(l => l.IsActive && l.Source.IsAuthorized(token))?.Source;
    }

    /// <summary>Ties the lease to the running session: when the session ends, so does the endpoint path.</summary>
    public void Bind(string sessionId, Session session)
    {
        if (!_leases.TryGetValue(sessionId, out var lease))
        {
            return;
        }

        lease.Bind(session);
        _ = session.Completion.ContinueWith(_ => Release(sessionId), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Ends the session's lease (the session could not open, or has ended).</summary>
    public void Release(string sessionId)
    {
        if (_leases.TryRemove(sessionId, out var lease))
        {
            _endpoint.Remove(lease);
            lease.Dispose();
        }
    }

    // A call that fails between preparing and opening its session (the client left while its
    // command was being decided) never activates its reservation: drop those after a while.
    private void DropAbandonedReservations()
    {
        var before = _time.GetUtcNow() - AbandonedAfter;
        foreach (var (sessionId, lease) in _leases)
        {
            if (!lease.IsActive && lease.ReservedAt < before)
            {
                Release(sessionId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} has AWS credentials of role {Role} ({RoleArn}) through the credentials endpoint")]
    private static partial void LogActivated(ILogger logger, string sessionId, string role, string roleArn);
}

/// <summary>Why a session could not get its AWS credentials; the message names the broker role and IAM role, never the STS details.</summary>
internal sealed record CredentialFailure(string RoleName, string RoleArn, string ErrorCode)
{
    /// <summary>STS unreachable or failing on its side: trying again may help (otherwise STS refused: trust policy, role ARN, session policy).</summary>
    public bool IsTransient => ErrorCode is "StsUnreachable" or "Throttling" or "ServiceUnavailable" or "InternalFailure" || ErrorCode.StartsWith("HTTP5", StringComparison.Ordinal);

    public string Message => $"AWS credentials for role '{RoleName}' ({RoleArn}) could not be issued: STS AssumeRole failed with {ErrorCode}";
}
