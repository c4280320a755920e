using System.Collections.Concurrent;
using System.Security.Cryptography;
using Broker.Policy;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp.Relay;

/// <summary>Why a relayed session could not be opened.</summary>
internal enum RelayOpenFailure
{
    /// <summary>The caller already has as many sessions open as it may.</summary>
    TooManySessions = 1,
}

/// <summary>
/// The MCP sessions open through the relay, in memory: opened by an <c>initialize</c> call, found by id for their
/// owner only, ended when idle for <see cref="McpRelayOptions.IdleTimeout"/> (swept on the broker's clock) and when
/// the broker stops.
/// </summary>
internal sealed partial class RelaySessions : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RelaySession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _opening = new();
    private readonly McpRelayOptions _options;
    private readonly IOptions<McpServerOptions> _serverOptions;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<RelaySessions> _logger;
    private readonly TimeProvider _time;
    private readonly ITimer _sweep;

    public RelaySessions(McpRelayOptions options, IOptions<McpServerOptions> serverOptions, IServiceProvider services, ILoggerFactory loggers, TimeProvider time)
    {
        _options = options;
        _serverOptions = serverOptions;
        _services = services;
        _loggers = loggers;
        _logger = loggers.CreateLogger<RelaySessions>();
        _time = time;
        // Sweeping at half the timeout ends an idle session between one and one and a half timeouts after its last call.
        var period = TimeSpan.FromTicks(Math.Clamp(options.IdleTimeout.Ticks / 2, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweep = time.CreateTimer(_ => SweepIdle(), null, period, period);
    }

    /// <summary>How many sessions are open (for tests and limits).</summary>
    public int Count => _sessions.Count;

    /// <summary>Opens a session for <paramref name="owner"/>, within its cap.</summary>
    public (RelaySession? Session, RelayOpenFailure? Failure) Open(CallerIdentity owner)
    {
        lock (_opening)
        {
            if (_sessions.Values.Count(s => s.BelongsTo(owner)) >= _options.MaxSessionsPerCaller)
            {
                return (null, RelayOpenFailure.TooManySessions);
            }

            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var session = new RelaySession(id, owner, _serverOptions.Value, _services, _loggers, _time, _options.MaxQueuedMessagesPerCall);
            _sessions[id] = session;
            LogOpened(_logger, id, owner.Issuer, owner.Subject);
            return (session, null);
        }
    }

    /// <summary>The session with <paramref name="id"/> if <paramref name="caller"/> owns it; another identity's session is not found.</summary>
    public RelaySession? Find(string id, CallerIdentity caller) =>
        _sessions.TryGetValue(id, out var session) && session.BelongsTo(caller) ? session : null;

    private void SweepIdle()
    {
        foreach (var session in _sessions.Values)
        {
            if (session.IdleFor(_options.IdleTimeout) && _sessions.TryRemove(new KeyValuePair<string, RelaySession>(session.Id, session)))
            {
                LogIdle(_logger, session.Id);
                _ = EndAsync(session);
            }
        }
    }

    private async Task EndAsync(RelaySession session)
    {
        try
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An ending session has nobody to report to; the broker goes on.
            LogEndFailed(_logger, session.Id, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        foreach (var id in _sessions.Keys)
        {
            if (_sessions.TryRemove(id, out var session))
            {
                await EndAsync(session).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP relay session {SessionId} opened for {Issuer} {Subject}")]
    private static partial void LogOpened(ILogger logger, string sessionId, string issuer, string subject);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP relay session {SessionId} ended: idle")]
    private static partial void LogIdle(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP relay session {SessionId} did not end cleanly")]
    private static partial void LogEndFailed(ILogger logger, string sessionId, Exception exception);
}
