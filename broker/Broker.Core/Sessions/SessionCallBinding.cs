namespace Broker.Core.Sessions;

/// <summary>
/// Ties a session to the call that serves its client. The session is abandoned when the call is aborted, and also
/// when the binding is disposed before the session ended: a handler can leave early (a write to a client that
/// reset the stream fails) before the server has signalled the call's abort, and a session nobody serves must not
/// run on.
/// </summary>
public readonly struct SessionCallBinding : IDisposable
{
    private readonly Session _session;
    private readonly CancellationTokenRegistration _aborted;

    /// <summary>Binds <paramref name="session"/> to the call whose abort <paramref name="callAborted"/> signals.</summary>
    /// <param name="session">The session the call serves.</param>
    /// <param name="callAborted">Cancelled when the call is aborted.</param>
    public SessionCallBinding(Session session, CancellationToken callAborted)
    {
        _session = session;
        _aborted = callAborted.Register(static s => ((Session)s!).Abandon(), session);
    }

    /// <summary>The call is over: a session still running is abandoned.</summary>
    public void Dispose()
    {
        _aborted.Dispose();
        if (!_session.Completion.IsCompleted)
        {
            _session.Abandon();
        }
    }
}
