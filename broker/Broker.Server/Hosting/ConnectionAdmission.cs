using Microsoft.AspNetCore.Connections;

namespace Broker.Server.Hosting;

/// <summary>
/// Keeps what a caller without a valid token can hold small and short-lived. Every connection starts
/// unauthenticated; its first authenticated call (<see cref="Authenticated"/>) releases it from these
/// limits. An unauthenticated connection is closed <see cref="ConnectionBudget.UnauthenticatedTimeout"/>
/// after it opened, whatever it is doing (an idle socket, a TLS handshake that never ends, a health
/// watch), and when more than <see cref="ConnectionBudget.MaxUnauthenticated"/> are open the oldest is
/// closed to make room: a flood of idle connections can neither exhaust the broker's descriptors nor
/// keep a real client, which authenticates at once, from getting in.
/// </summary>
internal sealed partial class ConnectionAdmission : IDisposable
{
    private readonly ConnectionBudget _budget;
    private readonly TimeProvider _time;
    private readonly ILogger<ConnectionAdmission> _logger;
    private readonly Lock _gate = new();
    // Oldest first: both the timeout and the eviction take from the head.
    private readonly LinkedList<Pending> _pending = new();
    private readonly Dictionary<string, LinkedListNode<Pending>> _byId = new(StringComparer.Ordinal);
    // Closed as unauthenticated (evicted or timed out) but not yet ended: a call on one must not run, even if its token
    // was being checked as the connection was closed. An entry lasts until the connection's middleware returns.
    private readonly HashSet<string> _closed = new(StringComparer.Ordinal);
    private readonly ITimer _sweep;
    private long _evicted;
    private long _timedOut;
    private long _lastWarning = long.MinValue;

    public ConnectionAdmission(ConnectionBudget budget, TimeProvider time, ILogger<ConnectionAdmission> logger)
    {
        _budget = budget;
        _time = time;
        _logger = logger;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(250).Ticks, budget.UnauthenticatedTimeout.Ticks / 4));
        _sweep = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Connections open that have not carried an authenticated call.</summary>
    public int Unauthenticated
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Unauthenticated connections closed to make room for newer ones.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Unauthenticated connections closed because they outlived the timeout.</summary>
    public long TimedOut => Interlocked.Read(ref _timedOut);

    /// <summary>The connection middleware (outermost, before TLS: a handshake is unauthenticated time too).</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => connection => AdmitAsync(connection, next);

    /// <summary>
    /// The connection carried a call whose token is valid: it is no longer limited as unauthenticated. False when the
    /// connection was already closed as unauthenticated: the call must not run, so a client whose first call failed that
    /// way knows nothing ran.
    /// </summary>
    public bool Authenticated(string connectionId)
    {
        lock (_gate)
        {
            if (_byId.Remove(connectionId, out var node))
            {
                _pending.Remove(node);
                return true;
            }

            return !_closed.Contains(connectionId);
        }
    }

    public void Dispose() => _sweep.Dispose();

    private async Task AdmitAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        Pending? evict = null;
        var node = new LinkedListNode<Pending>(new Pending(connection, _time.GetTimestamp()));
        lock (_gate)
        {
            _pending.AddLast(node);
            _byId[connection.ConnectionId] = node;
            if (_pending.Count > _budget.MaxUnauthenticated)
            {
                evict = RemoveOldestLocked();
            }
        }

        if (evict is { } oldest)
        {
            Interlocked.Increment(ref _evicted);
            WarnAtMostEveryMinute();
            oldest.Connection.Abort(new ConnectionAbortedException("too many unauthenticated connections: the oldest was closed"));
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Ended(connection.ConnectionId);
        }
    }

    private void Sweep()
    {
        var expired = new List<Pending>();
        lock (_gate)
        {
            while (_pending.First is { } first && _time.GetElapsedTime(first.Value.OpenedAt) >= _budget.UnauthenticatedTimeout)
            {
                expired.Add(RemoveOldestLocked());
            }
        }

        foreach (var pending in expired)
        {
            Interlocked.Increment(ref _timedOut);
            pending.Connection.Abort(new ConnectionAbortedException("no authenticated call within the unauthenticated timeout"));
        }
    }

    private void Ended(string connectionId)
    {
        lock (_gate)
        {
            if (_byId.Remove(connectionId, out var node))
            {
                _pending.Remove(node);
            }

            _closed.Remove(connectionId);
        }
    }

    private Pending RemoveOldestLocked()
    {
        var first = _pending.First!;
        _pending.RemoveFirst();
        _byId.Remove(first.Value.Connection.ConnectionId);
        _closed.Add(first.Value.Connection.ConnectionId);
        return first.Value;
    }

    private void WarnAtMostEveryMinute()
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= TimeSpan.FromMinutes(1)) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            LogFull(_logger, _budget.MaxUnauthenticated, Evicted, TimedOut);
        }
    }

    private sealed record Pending(ConnectionContext Connection, long OpenedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "More than {Limit} unauthenticated connections: the oldest are being closed ({Evicted} so far; {TimedOut} closed by the timeout)")]
    private static partial void LogFull(ILogger logger, int limit, long evicted, long timedOut);
}
