using System.Collections.Concurrent;

namespace Broker.Server.Approvals;

/// <summary>A session whose command waits here for a decision before it opens.</summary>
/// <param name="SessionId">The session's id (the request's session).</param>
/// <param name="OwnerIssuer">The requester's issuer.</param>
/// <param name="OwnerSubject">The requester's subject.</param>
/// <param name="Target">The target the command would run on.</param>
/// <param name="Since">When its request was made.</param>
internal sealed record WaitingCommand(string SessionId, string OwnerIssuer, string OwnerSubject, string Target, DateTimeOffset Since);

/// <summary>
/// The commands held on this broker whose callers wait for a decision. Their sessions have not opened (no process
/// runs yet) but they are this broker's all the same: with replicas, the registry lists them as held here, so that a
/// replica that dies takes their pending requests with it and one that restarts withdraws what it left.
/// </summary>
internal sealed class WaitingCommands
{
    private readonly ConcurrentDictionary<string, WaitingCommand> _waiting = new(StringComparer.Ordinal);

    /// <summary>Raised after a command starts or stops waiting. A handler must not block.</summary>
    public event Action? Changed;

    /// <summary>The commands waiting now.</summary>
    public IReadOnlyCollection<WaitingCommand> Current => [.. _waiting.Values];

    /// <summary>Counts <paramref name="command"/> as waiting until the returned scope is disposed.</summary>
    public IDisposable Wait(WaitingCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        _waiting[command.SessionId] = command;
        Changed?.Invoke();
        return new Scope(this, command.SessionId);
    }

    private sealed class Scope(WaitingCommands owner, string sessionId) : IDisposable
    {
        public void Dispose()
        {
            if (owner._waiting.TryRemove(sessionId, out _))
            {
                owner.Changed?.Invoke();
            }
        }
    }
}
