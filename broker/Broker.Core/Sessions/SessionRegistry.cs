using System.Collections.Concurrent;

namespace Broker.Core.Sessions;

/// <summary>
/// The broker's sessions: running ones by id, a bounded memory of ended ones, and the
/// per-identity admission count. A session counts as ended (its slot free again) once it has
/// <see cref="Session.Ended"/>; releasing its account may go on after that, and shutdown waits for it.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, Session> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Session> _ended = new();
    // Ended sessions whose processes and account are still being released.
    private readonly ConcurrentDictionary<Session, bool> _releasing = new();
    private readonly Dictionary<SessionOwner, int> _counts = [];
    private readonly Lock _countsGate = new();
    private readonly int _endedRemembered;

    internal SessionRegistry(int endedRemembered)
    {
        _endedRemembered = endedRemembered;
    }

    /// <summary>Reserves a session slot for <paramref name="owner"/>; returns the refusal, or null when admitted.</summary>
    public string? TryAdmit(SessionOwner owner, int limit)
    {
        lock (_countsGate)
        {
            _counts.TryGetValue(owner, out var count);
            if (count >= limit)
            {
                return $"{owner.Subject} already has {count} open sessions (the limit is {limit})";
            }

            _counts[owner] = count + 1;
            return null;
        }
    }

    /// <summary>Gives back a slot reserved with <see cref="TryAdmit"/>.</summary>
    public void Release(SessionOwner owner)
    {
        lock (_countsGate)
        {
            if (_counts.TryGetValue(owner, out var count))
            {
                if (count <= 1)
                {
                    _counts.Remove(owner);
                }
                else
                {
                    _counts[owner] = count - 1;
                }
            }
        }
    }

    /// <summary>
    /// Raised after a session was added or ended, on the thread that added or ended it: for whoever mirrors the running
    /// sessions elsewhere (the replica registry), which then reads <see cref="List"/>. A handler must not block.
    /// </summary>
    public event Action? Changed;

    /// <summary>Tracks an admitted session until it ends, then releases its slot; shutdown still waits for its release.</summary>
    public void Add(Session session)
    {
        _running[session.Id] = session;
        _releasing[session] = true;
        _ = session.Ended.ContinueWith(
            _ => OnEnded(session), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _ = session.Completion.ContinueWith(
            _ => _releasing.TryRemove(session, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Changed?.Invoke();
    }

    private void OnEnded(Session session)
    {
        _running.TryRemove(session.Id, out _);
        Release(session.Owner);
        _ended.Enqueue(session);
        while (_ended.Count > _endedRemembered && _ended.TryDequeue(out var old))
        {
            // Disposed once nothing of it runs any more.
            _ = old.Completion.ContinueWith(
                _ => old.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        Changed?.Invoke();
    }

    /// <summary>Sessions that have not finished releasing their processes and accounts (running ones included).</summary>
    public int ReleasingCount => _releasing.Count;

    /// <summary>The running or remembered ended session with <paramref name="id"/>, or null.</summary>
    /// <param name="id">The session's id.</param>
    /// <returns>The session, or null.</returns>
    public Session? Find(string id)
    {
        if (_running.TryGetValue(id, out var session))
        {
            return session;
        }

        return _ended.FirstOrDefault(s => s.Id == id);
    }

    /// <summary>Running sessions, then ended ones if asked, newest first.</summary>
    public IEnumerable<Session> List(bool includeEnded)
    {
        var all = includeEnded ? _running.Values.Concat(_ended) : _running.Values;
        return all.OrderByDescending(s => s.StartedAt);
    }

    /// <summary>How many sessions are running.</summary>
    public int RunningCount => _running.Count;

    /// <summary>Ends every running session and waits for them, and for ended ones still releasing their accounts (broker shutdown).</summary>
    public async Task TerminateAllAsync(string message, TimeSpan timeout)
    {
        foreach (var session in _running.Values)
        {
            session.Terminate(SessionEndReason.BrokerShutdown, message);
        }

        try
        {
            await Task.WhenAll(_releasing.Keys.Select(s => s.Completion)).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Shutdown goes on; the processes themselves have been killed.
        }
    }
}
