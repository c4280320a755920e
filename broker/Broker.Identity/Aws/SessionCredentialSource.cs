using System.Security.Cryptography;
using System.Text;
using Broker.Policy;

namespace Broker.Identity.Aws;

/// <summary>
/// One session's AWS credentials as served by its container-credentials endpoint: the bearer
/// token the endpoint requires, and the current credentials, refreshed before expiry. Every new
/// credential goes to the session's callback before it is handed out. Dispose it with the session.
/// </summary>
public sealed class SessionCredentialSource : IDisposable
{
    private readonly AwsCredentialBroker _broker;
    private readonly CallerIdentity _identity;
    private readonly AwsRoleSettings _role;
    private readonly Action<SessionCredentials> _onIssued;
    private readonly byte[] _tokenBytes;
    private readonly HashSet<string> _announced = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    internal SessionCredentialSource(AwsCredentialBroker broker, CallerIdentity identity, string roleName, AwsRoleSettings role, string sessionId, Action<SessionCredentials> onIssued)
    {
        _broker = broker;
        _identity = identity;
        RoleName = roleName;
        _role = role;
        SessionId = sessionId;
        _onIssued = onIssued;
        AuthorizationToken = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _tokenBytes = Encoding.ASCII.GetBytes(AuthorizationToken);
    }

    /// <summary>The value for <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c>: 32 random bytes, base64url.</summary>
    public string AuthorizationToken { get; }

    /// <summary>The broker role the credentials are for.</summary>
    public string RoleName { get; }

    /// <summary>The IAM role assumed.</summary>
    public string RoleArn => _role.RoleArn;

    /// <summary>The session the credentials belong to.</summary>
    public string SessionId { get; }

    /// <summary>Whether <paramref name="presentedToken"/> (the request's <c>Authorization</c> header) is this session's token; constant-time.</summary>
    /// <param name="presentedToken">The presented value; null or empty is refused.</param>
    /// <returns>True only for the exact token of a live session.</returns>
    public bool IsAuthorized(string? presentedToken)
    {
        if (_disposed || string.IsNullOrEmpty(presentedToken) || presentedToken.Length > 256)
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presentedToken.Length)];
        var length = Encoding.UTF8.GetBytes(presentedToken, presented);
        return CryptographicOperations.FixedTimeEquals(presented[..length], _tokenBytes);
    }

    /// <summary>The current credentials, refreshed through STS when due.</summary>
    /// <param name="cancellationToken">Cancels an STS call.</param>
    /// <returns>The credentials, or why there are none.</returns>
    public async Task<CredentialOutcome> GetCurrentAsync(CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            return CredentialOutcome.Failure("SessionEnded", $"The session {SessionId} has ended");
        }

        var outcome = await _broker.GetAsync(_identity, RoleName, _role, SessionId, cancellationToken).ConfigureAwait(false);
        if (!outcome.IsSuccess)
        {
            return outcome;
        }

        lock (_announced)
        {
            if (_announced.Add(outcome.Credentials.AccessKeyId))
            {
                _onIssued(outcome.Credentials);
            }
        }

        return outcome;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _broker.EndSession(SessionId);
    }
}
