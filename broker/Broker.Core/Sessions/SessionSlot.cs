namespace Broker.Core.Sessions;

/// <summary>
/// A place reserved for one session of an identity under its per-identity cap (see <see cref="SessionManager.Admit"/>).
/// Taken before anything that costs (a recording, an index row, an STS call), so that a caller at its cap costs
/// nothing; handed to the session when it opens, or given back when it does not.
/// </summary>
public sealed class SessionSlot
{
    private readonly SessionRegistry _registry;
    private int _settled;

    internal SessionSlot(SessionRegistry registry, SessionOwner owner, string target)
    {
        _registry = registry;
        Owner = owner;
        Target = target;
    }

    /// <summary>Whose session the place is for.</summary>
    public SessionOwner Owner { get; }

    /// <summary>The target the place was admitted on (its limits decided the cap).</summary>
    public string Target { get; }

    /// <summary>Gives the place back; only the first of <see cref="Release"/> and <see cref="HandOver"/> counts.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            _registry.Release(Owner);
        }
    }

    /// <summary>The session opened: from now on the registry gives the place back when the session ends.</summary>
    public void HandOver() => Interlocked.Exchange(ref _settled, 1);
}
