using Broker.Core.Sessions;
using Broker.Identity.Aws;

namespace Broker.Server.Credentials;

/// <summary>
/// One session's place on the credentials endpoint: an unguessable path, the credential source
/// (which holds the authorization token), and the session once it runs. It answers only while
/// that session runs.
/// </summary>
internal sealed class CredentialLease : IDisposable
{
    /// <summary>The variable that carries the endpoint's bearer token (one per session).</summary>
    public const string TokenVariable = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

    private volatile Session? _session;
    private volatile bool _active;
    private volatile bool _released;

    public CredentialLease(string path, Uri uri, SessionCredentialSource source, DateTimeOffset reservedAt)
    {
        Path = path;
        Uri = uri;
        Source = source;
        ReservedAt = reservedAt;
    }

    /// <summary>When the session's path was reserved.</summary>
    public DateTimeOffset ReservedAt { get; }

    /// <summary>Whether the first credentials were issued.</summary>
    public bool IsActive => _active;

    /// <summary>The request path, <c>/v1/credentials/&lt;random&gt;</c>.</summary>
    public string Path { get; }

    /// <summary>The full URI for <c>AWS_CONTAINER_CREDENTIALS_FULL_URI</c>.</summary>
    public Uri Uri { get; }

    public SessionCredentialSource Source { get; }

    /// <summary>Whether the endpoint may answer: the first credentials were issued and the session has not ended.</summary>
    public bool IsServing => _active && !_released && _session is not { IsRunning: false };

    /// <summary>The variables that point the session's AWS CLI and SDKs at the endpoint (never the keys themselves).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = Uri.AbsoluteUri,
        [TokenVariable] = Source.AuthorizationToken,
    };

    public void Activate() => _active = true;

    public void Bind(Session session) => _session = session;

    public void Dispose()
    {
        _released = true;
        Source.Dispose();
    }
}
