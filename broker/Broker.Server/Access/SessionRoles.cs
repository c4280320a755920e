namespace Broker.Server.Access;

/// <summary>The roles an open session holds: taken at open, derived again from its identity at every policy reload.</summary>
internal sealed class SessionRoles(IReadOnlyList<string> initial)
{
    private IReadOnlyList<string> _current = initial;

    public IReadOnlyList<string> Current => Volatile.Read(ref _current);

    public void Replace(IReadOnlyList<string> roles) => Volatile.Write(ref _current, roles);
}
