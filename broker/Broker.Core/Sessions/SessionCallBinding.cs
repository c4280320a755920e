namespace Broker.Core.Sessions;

/// <summary>
/// Ties a session to the call that serves its client. The session is abandoned when the call is aborted, and also
/// when the binding is disposed before the session ended: a handler can leave early (a write to a client that
/// reset the stream fails) before the server has signalled the call's abort, and a session nobody serves must not
/// run on.
/// </summary>
internal readonly struct SessionCallBinding : IDisposable
{
    private readonly Session _session;
    private readonly CancellationTokenRegistration _aborted;

    public SessionCallBinding(Session session, CancellationToken callAborted)
    {
        _session = session;
        _aborted = callAborted.Register(static s => ((Session)s!).Abandon(), session);
    }

    public void Dispose()
    {
        _aborted.Dispose();
        if (!_session.Completion.IsCompleted)
        {
            _session.Abandon();
        }
    }
}
