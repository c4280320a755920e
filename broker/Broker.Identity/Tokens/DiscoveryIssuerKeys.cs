using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity.Tokens;

/// <summary>
/// Keys from an issuer's discovery document and JWKS. The fetch itself is Microsoft.IdentityModel's
/// (<see cref="OpenIdConnectConfigurationRetriever"/>); the schedule is ours, on
/// <see cref="TimeProvider"/>, because a rotation must be picked up by the first token signed with
/// a new key while a stream of tokens with made-up key ids must not turn into a stream of fetches.
/// </summary>
internal sealed partial class DiscoveryIssuerKeys : IssuerKeys, IDisposable
{
    private readonly IssuerSettings _settings;
    private readonly Uri _metadataAddress;
    private readonly IDocumentRetriever _retriever;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _fetchLock = new(1, 1);
    private volatile KeySnapshot? _snapshot;
    private long _lastAttemptTicks;

    public DiscoveryIssuerKeys(IssuerSettings settings, HttpClient http, TimeProvider time, ILogger logger)
    {
        _settings = settings;
        _metadataAddress = settings.EffectiveMetadataAddress!;
        _retriever = new HttpDocumentRetriever(http) { RequireHttps = settings.RequireHttps };
        _time = time;
        _logger = logger;
    }

    public override async ValueTask<KeyLookup> FindAsync(string? keyId, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is null || _time.GetUtcNow() - snapshot.FetchedAt >= _settings.KeyRefreshInterval)
        {
            snapshot = await RefreshIfAllowedAsync(snapshot, cancellationToken).ConfigureAwait(false);
        }

        if (snapshot is null)
        {
            return KeyLookup.Refused(TokenFailureKind.KeysUnavailable, "the issuer's signing keys could not be fetched");
        }

        var matching = KeyLookup.Select(snapshot.Keys, keyId);
        if (matching.Count == 0)
        {
            snapshot = await RefreshIfAllowedAsync(snapshot, cancellationToken).ConfigureAwait(false);
            matching = snapshot is null ? [] : KeyLookup.Select(snapshot.Keys, keyId);
        }

        return matching.Count == 0
            ? KeyLookup.Refused(TokenFailureKind.UnknownKey, "the token's key id is not in the issuer's key set")
            : KeyLookup.Found(matching);
    }

    // While fetches are rate-limited and none is in flight, answer from the latest snapshot without
    // queueing on the lock; a fetch in flight is waited for, since it may bring the key asked for.
    private ValueTask<KeySnapshot?> RefreshIfAllowedAsync(KeySnapshot? seen, CancellationToken cancellationToken) =>
        !MayAttempt() && _fetchLock.CurrentCount > 0
            ? ValueTask.FromResult(_snapshot)
            : new ValueTask<KeySnapshot?>(RefreshAsync(seen, cancellationToken));

    private async Task<KeySnapshot?> RefreshAsync(KeySnapshot? seen, CancellationToken cancellationToken)
    {
        await _fetchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _snapshot;
            if (!ReferenceEquals(current, seen))
            {
                return current;
            }

            if (!MayAttempt())
            {
                return current;
            }

            var now = _time.GetUtcNow();
            Volatile.Write(ref _lastAttemptTicks, now.UtcTicks);
            try
            {
                var configuration = await OpenIdConnectConfigurationRetriever
                    .GetAsync(_metadataAddress.AbsoluteUri, _retriever, cancellationToken)
                    .ConfigureAwait(false);
                if (!string.Equals(configuration.Issuer, _settings.Issuer, StringComparison.Ordinal))
                {
                    LogIssuerMismatch(_logger, _settings.Issuer, _metadataAddress);
                    return current;
                }

                var keys = configuration.SigningKeys.Where(IsAsymmetric).ToArray();
                LogKeysFetched(_logger, _settings.Issuer, keys.Length);
                _snapshot = new KeySnapshot(keys, now);
                return _snapshot;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogFetchFailed(_logger, _settings.Issuer, _metadataAddress, ex.GetType().Name, ex.Message);
                return current;
            }
        }
        finally
        {
            _fetchLock.Release();
        }
    }

    public void Dispose() => _fetchLock.Dispose();

    private bool MayAttempt()
    {
        var last = Volatile.Read(ref _lastAttemptTicks);
        return last == 0 || _time.GetUtcNow().UtcTicks - last >= _settings.MinimumForcedRefreshInterval.Ticks;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {KeyCount} signing keys for issuer {Issuer}")]
    private static partial void LogKeysFetched(ILogger logger, string issuer, int keyCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Discovery document at {Address} names another issuer than {Issuer}; keys not used")]
    private static partial void LogIssuerMismatch(ILogger logger, string issuer, Uri address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching signing keys for issuer {Issuer} from {Address} failed: {ErrorType}: {Error}")]
    private static partial void LogFetchFailed(ILogger logger, string issuer, Uri address, string errorType, string error);

    private sealed record KeySnapshot(IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt);
}
