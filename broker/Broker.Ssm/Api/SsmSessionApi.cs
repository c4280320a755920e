using Amazon;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;

namespace Broker.Ssm.Api;

/// <summary>
/// The Session Manager calls of the SSM API (AWS JSON 1.1, SigV4 with service name <c>ssm</c>),
/// made with the credentials the caller passes: a session's short-lived assumed-role credential,
/// never the broker's own. Failures come back as values with the service's error code.
/// </summary>
internal sealed class SsmSessionApi : IDisposable
{
    private const string Unreachable = "SsmUnreachable";

    private readonly AmazonSimpleSystemsManagementClient _client;

    /// <summary>A client for <paramref name="endpoint"/> that signs with <paramref name="credentials"/>.</summary>
    /// <param name="endpoint">The region and optional endpoint override.</param>
    /// <param name="credentials">The credentials every call is signed with.</param>
    public SsmSessionApi(SsmEndpoint endpoint, AWSCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var config = new AmazonSimpleSystemsManagementConfig { Timeout = endpoint.RequestTimeout, MaxErrorRetry = 2 };
        if (endpoint.ServiceUrl is { } url)
        {
            config.ServiceURL = url.AbsoluteUri;
            config.AuthenticationRegion = endpoint.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(endpoint.Region);
        }

        _client = new AmazonSimpleSystemsManagementClient(credentials, config);
    }

    /// <summary>StartSession: opens a session on <paramref name="target"/> with <paramref name="document"/>.</summary>
    /// <param name="target">The instance id.</param>
    /// <param name="document">The Session document.</param>
    /// <param name="parameters">The document's parameters.</param>
    /// <param name="reason">Why the session is opened (shown in the SSM console and CloudTrail).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session, its token and its stream URL.</returns>
    public Task<SsmApiResult<SsmStreamSession>> StartSessionAsync(
        string target, string document, IReadOnlyDictionary<string, IReadOnlyList<string>> parameters, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var request = new StartSessionRequest
        {
            Target = target,
            DocumentName = document,
            Reason = string.IsNullOrEmpty(reason) ? null : reason,
            Parameters = parameters.Count == 0 ? null : parameters.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal),
        };
        return CallAsync(async () =>
        {
            var response = await _client.StartSessionAsync(request, cancellationToken).ConfigureAwait(false);
            return new SsmStreamSession(response.SessionId ?? "", response.TokenValue ?? "", ParseUrl(response.StreamUrl));
        });
    }

    /// <summary>ResumeSession: a new token for a session whose data channel dropped (empty when it timed out).</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session's new token.</returns>
    public Task<SsmApiResult<SsmStreamSession>> ResumeSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            var response = await _client.ResumeSessionAsync(new ResumeSessionRequest { SessionId = sessionId }, cancellationToken).ConfigureAwait(false);
            return new SsmStreamSession(response.SessionId ?? sessionId, response.TokenValue ?? "", ParseUrl(response.StreamUrl));
        });

    /// <summary>TerminateSession: ends the session on the instance.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The terminated session's id.</returns>
    public Task<SsmApiResult<string>> TerminateSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            var response = await _client.TerminateSessionAsync(new TerminateSessionRequest { SessionId = sessionId }, cancellationToken).ConfigureAwait(false);
            return response.SessionId ?? sessionId;
        });

    /// <summary>DescribeInstanceInformation: the online managed instances carrying every tag in <paramref name="tags"/>, all pages.</summary>
    /// <param name="tags">The tags.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The instances.</returns>
    public Task<SsmApiResult<IReadOnlyList<ManagedInstance>>> DescribeInstancesAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return CallAsync<IReadOnlyList<ManagedInstance>>(async () =>
        {
            var found = new List<ManagedInstance>();
            string? next = null;
            do
            {
                var request = new DescribeInstanceInformationRequest
                {
                    Filters = [.. tags.Select(t => new InstanceInformationStringFilter { Key = "tag:" + t.Key, Values = [t.Value] }),
                        new InstanceInformationStringFilter { Key = "PingStatus", Values = ["Online"] }],
                    MaxResults = 50,
                    NextToken = next,
                };
                var response = await _client.DescribeInstanceInformationAsync(request, cancellationToken).ConfigureAwait(false);
                found.AddRange((response.InstanceInformationList ?? []).Select(i => new ManagedInstance(i.InstanceId, i.PingStatus?.Value, i.PlatformType?.Value)));
                next = string.IsNullOrEmpty(response.NextToken) ? null : response.NextToken;
            }
            while (next is not null);

            return found;
        });
    }

    /// <summary>Picks the instance <paramref name="selector"/> names: its fixed id, or the single online instance with its tags.</summary>
    /// <param name="selector">The selector.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The instance id.</returns>
    public async Task<SsmApiResult<string>> ResolveInstanceAsync(InstanceSelector selector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        if (selector.InstanceId is { } id)
        {
            return SsmApiResult.Success(id);
        }

        var listed = await DescribeInstancesAsync(selector.Tags, cancellationToken).ConfigureAwait(false);
        if (!listed.Succeeded)
        {
            return SsmApiResult.Failure<string>(listed.ErrorCode!, listed.Error!);
        }

        // Exactly one: a session never lands on an instance nobody chose.
        return listed.Value!.Count switch
        {
            1 => SsmApiResult.Success(listed.Value[0].InstanceId),
            0 => SsmApiResult.Failure<string>("NoInstance", $"no online managed instance is {selector}"),
            var n => SsmApiResult.Failure<string>("AmbiguousInstance", $"{n} online managed instances are {selector} ({string.Join(", ", listed.Value.Select(i => i.InstanceId))}); the target must select exactly one"),
        };
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    private static Uri? ParseUrl(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed : null;

    private static async Task<SsmApiResult<T>> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return SsmApiResult.Success(await call().ConfigureAwait(false));
        }
        catch (AmazonServiceException ex)
        {
            var code = string.IsNullOrEmpty(ex.ErrorCode) ? $"HTTP{(int)ex.StatusCode}" : ex.ErrorCode;
            return SsmApiResult.Failure<T>(code, $"{code}: {ex.Message}");
        }
        catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or IOException or TimeoutException or TaskCanceledException)
        {
            return SsmApiResult.Failure<T>(Unreachable, $"{Unreachable}: {ex.Message}");
        }
    }
}
