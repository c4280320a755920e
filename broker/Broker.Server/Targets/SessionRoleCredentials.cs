using Amazon.Runtime;
using Broker.Identity.Aws;

namespace Broker.Server.Targets;

/// <summary>
/// One broker session's assumed-role credential as the AWS SDK asks for it: each signature takes the
/// session's current credentials (refreshed through STS when due, and registered with the session's masking
/// when new). Once the session's source has ended, the last credentials it issued still sign until they
/// expire, so the calls that end the SSM session (TerminateSession) go out with the same role.
/// </summary>
internal sealed class SessionRoleCredentials : AWSCredentials
{
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(1);
    private readonly SessionCredentialSource _source;
    private readonly TimeProvider _time;
    private volatile SessionCredentials? _last;

    public SessionRoleCredentials(SessionCredentialSource source, TimeProvider time)
    {
        _source = source;
        _time = time;
    }

    /// <summary>The IAM role the credentials are for.</summary>
    public string RoleArn => _source.RoleArn;

    public override async Task<ImmutableCredentials> GetCredentialsAsync()
    {
        var outcome = await _source.GetCurrentAsync(CancellationToken.None).ConfigureAwait(false);
        if (outcome.IsSuccess)
        {
            _last = outcome.Credentials;
            return Immutable(outcome.Credentials);
        }

        if (_last is { } last && last.Expiration - ExpiryMargin > _time.GetUtcNow())
        {
            return Immutable(last);
        }

        // The SSM client turns this into a failed call (a value), never the broker's own credential.
        throw new AmazonClientException($"no AWS credentials for role {_source.RoleArn}: {outcome.Error}");
    }

    // The SDK's asynchronous calls (the only ones the SSM target makes) ask through GetCredentialsAsync;
    // this synchronous path exists for the base class's contract.
    public override ImmutableCredentials GetCredentials() => GetCredentialsAsync().GetAwaiter().GetResult();

    private static ImmutableCredentials Immutable(SessionCredentials credentials) =>
        new(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken);
}
